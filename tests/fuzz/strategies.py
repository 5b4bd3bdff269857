"""Hypothesis strategies for CDS Hooks requests with odd FHIR content.

Two sources, both structurally valid hook requests, so that the odd content reaches the FHIR
validation and the clinical core instead of stopping at the first schema check:

- ``built_requests``: requests made with ``tests/factories.py`` from random arguments (doses,
  units, frequencies, periods, ages, labs, routes, ranges, as-needed, maxima);
- ``mutated_requests``: a bundled example (``fixtures/``) with a few random mutations at random
  places, biased towards the fields the rules read: fields dropped, values of the wrong type,
  huge, zero, negative and non-finite numbers (also as strings), unknown units and codes, deep
  nesting, unicode, duplicated resources and ids, references to absent resources, odd
  ``contained`` and ``medicationReference``, odd timing.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from service.pipeline.examples import Fixture, all_fixtures
from tests import factories as f
from tests.conftest import FIXTURES

Path = tuple[str | int, ...]
Draw = st.DrawFn

SERVICES = {
    "order-sign": "baclofen-order-sign",
    "order-select": "baclofen-order-select",
    "patient-view": "baclofen-patient-view",
}
EXAMPLES: list[Fixture] = list(all_fixtures(FIXTURES))

# The keys the facts and rules read: mutations land on them more often than elsewhere.
CLINICAL_KEYS = frozenset(
    {
        "value", "unit", "code", "system", "coding", "text", "display", "comparator",
        "frequency", "frequencyMax", "period", "periodMax", "periodUnit", "boundsDuration",
        "timing", "repeat", "doseAndRate", "doseQuantity", "doseRange", "rateQuantity",
        "dosageInstruction", "maxDosePerPeriod", "asNeededBoolean", "route", "sequence",
        "medicationCodeableConcept", "medicationReference", "contained", "reference",
        "priorPrescription", "status", "intent", "authoredOn", "birthDate", "gender",
        "effectiveDateTime", "valueQuantity", "valueCodeableConcept", "clinicalStatus",
        "verificationStatus", "onsetDateTime", "abatementDateTime", "resourceType", "id",
        "entry", "resource", "selections", "patientId", "category", "ingredient", "strength",
        "numerator", "denominator", "form", "low", "high",
    }
)  # fmt: skip

ODD_NUMBERS: list[Any] = [
    0, -0.0, -1, -5, -1e9, 1e-300, 0.0001, 2.5, 1e6, 1e15, 2**53 + 1, 10**30, 1e308,
    "NaN", "Infinity", "-Infinity", "1e999", "-0", "0x10", "", " 5 ", "5 mg", "1,5", "٣",
]  # fmt: skip
ODD_UNITS = ["", "MG", "mg/kg", "g", "kg", "ug", "mcg", "µg", "mL", "{tbl}", "tablet", "mmol",
             "mg/d", "1", "%", "zz", "mg\u0000", "毫克"]  # fmt: skip
ODD_CODES = ["", "0", "197391", "999999999", "J45", "Z39.1", "unknown", "http://x", "ü" * 300]
ODD_DATES = ["", "2026", "2026-02", "2026-02-30", "0001-01-01", "9999-12-31",
             "2026-11-23T25:00:00Z", "2026-11-23T09:00:00", "yesterday",
             "1970-01-01T00:00:00+14:00", "2100-01-01"]  # fmt: skip
ODD_REFERENCES = ["#", "#missing", "Medication/absent", "Patient/other", "MedicationRequest/",
                  "http://elsewhere.example/fhir/Medication/1", "urn:uuid:0", "/",
                  "Medication//x"]  # fmt: skip
ODD_PERIOD_UNITS = ["d", "h", "min", "s", "wk", "mo", "a", "D", "day", "", "ms"]

unicode_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    unicode_text,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(unicode_text, children, max_size=3)
    ),
    max_leaves=8,
)


def deeply_nested(depth: int, leaf: Any, as_list: bool) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if as_list else {"x": value}
    return value


# --- where to mutate


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every place in a JSON document, the root excluded."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from paths(item, (*prefix, index))


def parent_of(document: Any, path: Path) -> Any:
    for step in path[:-1]:
        document = document[step]
    return document


def _is_clinical(path: Path) -> bool:
    return any(isinstance(step, str) and step in CLINICAL_KEYS for step in path[-2:])


def _is_order(document: Any, path: Path) -> bool:
    value = parent_of(document, path)[path[-1]]
    return isinstance(value, dict) and value.get("resourceType") == "MedicationRequest"


# --- mutations: each changes the document in place at one path


def drop(draw: Draw, document: Any, path: Path) -> None:
    del parent_of(document, path)[path[-1]]


def wrong_type(draw: Draw, document: Any, path: Path) -> None:
    parent_of(document, path)[path[-1]] = draw(json_values)


def odd_value(draw: Draw, document: Any, path: Path) -> None:
    key = path[-1]
    pool: list[Any] = {
        "unit": ODD_UNITS,
        "code": ODD_CODES,
        "system": ["", "http://unitsofmeasure.org", "urn:oid:1", "rxnorm"],
        "periodUnit": ODD_PERIOD_UNITS,
        "reference": ODD_REFERENCES,
        "id": ["", "pat-1", "x" * 300, "a/b", "ü", "mr-1"],
        "resourceType": ["", "Patient", "Medication", "MedicationOrder", "Unknown", "bundle"],
        "status": ["", "active", "draft", "stopped", "completed", "entered-in-error", "on-hold"],
    }.get(str(key), ODD_NUMBERS + ODD_DATES)
    parent_of(document, path)[key] = draw(st.sampled_from(pool))


def odd_number(draw: Draw, document: Any, path: Path) -> None:
    parent_of(document, path)[path[-1]] = draw(st.sampled_from(ODD_NUMBERS))


def unicode(draw: Draw, document: Any, path: Path) -> None:
    parent_of(document, path)[path[-1]] = draw(unicode_text)


def nest_deeply(draw: Draw, document: Any, path: Path) -> None:
    depth = draw(st.sampled_from([20, 100, 400]))
    leaf = copy.deepcopy(parent_of(document, path)[path[-1]])
    parent_of(document, path)[path[-1]] = deeply_nested(depth, leaf, draw(st.booleans()))


def duplicate(draw: Draw, document: Any, path: Path) -> None:
    """A sibling copy in a list (duplicated entries and ids), or a list made of two copies."""
    parent = parent_of(document, path)
    value = parent[path[-1]]
    if isinstance(parent, list):
        parent.insert(draw(st.integers(0, len(parent))), copy.deepcopy(value))
    else:
        parent[path[-1]] = [value, copy.deepcopy(value)]


def empty(draw: Draw, document: Any, path: Path) -> None:
    parent_of(document, path)[path[-1]] = draw(st.sampled_from([None, "", [], {}, [{}], [None]]))


def odd_medication_reference(draw: Draw, document: Any, path: Path) -> None:
    """On an order: a medicationReference to something absent, odd or contained oddly."""
    order = parent_of(document, path)[path[-1]]
    if not (isinstance(order, dict) and order.get("resourceType") == "MedicationRequest"):
        odd_value(draw, document, path)
        return
    order.pop("medicationCodeableConcept", None)
    order["medicationReference"] = {"reference": draw(st.sampled_from(ODD_REFERENCES))}
    order["contained"] = draw(
        st.sampled_from(
            [
                [{"resourceType": "Medication", "id": "missing", "code": f.BACLOFEN_10}],
                [{"resourceType": "Medication", "id": "missing", "ingredient": "x"}],
                [{"resourceType": "Medication"}, {"resourceType": "Medication"}],
                [{"resourceType": "MedicationRequest", "id": "missing", "contained": []}],
                {"resourceType": "Medication", "id": "missing"},
                "missing",
            ]
        )
    )


MUTATIONS = [
    drop,
    wrong_type,
    odd_value,
    odd_number,
    unicode,
    nest_deeply,
    duplicate,
    empty,
    odd_medication_reference,
]


@st.composite
def mutated(draw: Draw, request: dict[str, Any], max_mutations: int = 4) -> dict[str, Any]:
    document = copy.deepcopy(request)
    for _ in range(draw(st.integers(1, max_mutations))):
        places = [p for p in paths(document) if p[:1] in (("context",), ("prefetch",))]
        if not places:
            break
        clinical = [p for p in places if _is_clinical(p) or _is_order(document, p)]
        biased = bool(clinical) and draw(st.integers(0, 3)) > 0
        pool = clinical if biased else places
        path = draw(st.sampled_from(pool))
        draw(st.sampled_from(MUTATIONS))(draw, document, path)
    return document


# --- requests


@dataclass(frozen=True)
class Call:
    service: str
    request: dict[str, Any]

    @property
    def path(self) -> str:
        return f"/cds-services/{self.service}"


@st.composite
def mutated_requests(draw: Draw) -> Call:
    example = draw(st.sampled_from(EXAMPLES))
    return Call(example.service, draw(mutated(example.request)))


odd_floats = st.one_of(
    st.sampled_from([0, -5, 0.5, 2.5, 7.5, 1e6, 1e300, 2**63]),
    st.floats(-1e6, 1e9, allow_nan=False),
)
units = st.sampled_from(["mg", "mg", "mcg", "g", "mL", "tablet", "kg", "mmol", "unit"])


@st.composite
def random_dosage(draw: Draw) -> dict[str, Any]:
    low, high = draw(odd_floats), draw(odd_floats)
    return f.dosage(
        dose=draw(st.one_of(st.none(), odd_floats)),
        unit=draw(units),
        frequency=draw(st.one_of(st.none(), st.integers(-2, 50))),
        period=draw(st.sampled_from([0, 0.5, 1, 2, 7, 1e6])),
        period_unit=draw(st.sampled_from(ODD_PERIOD_UNITS)),
        route=draw(st.sampled_from([f.ORAL, f.INTRATHECAL, None, {"text": "by mouth"}])),
        sequence=draw(st.one_of(st.none(), st.integers(-1, 5))),
        days=draw(st.one_of(st.none(), st.integers(-3, 400))),
        as_needed=draw(st.booleans()),
        max_per_day=draw(st.one_of(st.none(), odd_floats)),
        dose_range=draw(st.one_of(st.none(), st.just((low, high)))),
    )


medications = st.sampled_from(
    [
        f.BACLOFEN_10,
        f.BACLOFEN_20,
        f.BACLOFEN_5,
        f.BACLOFEN_SOLUTION_1,
        f.BACLOFEN_IT_TEXT,
        f.drug("tramadol", rxnorm="10689"),
        f.drug("baclofen", text="baclofen"),
        {"text": "BACLOFEN 10 mg/0 mL"},
        {},
    ]
)


@st.composite
def random_order(draw: Draw, rid: str) -> dict[str, Any]:
    return f.med_request(
        draw(medications),
        draw(st.lists(random_dosage(), max_size=3)),
        status=draw(st.sampled_from(["draft", "active", "stopped", "completed", "on-hold"])),
        authored_days_ago=draw(st.integers(-30, 4000)),
        rid=rid,
        prior=draw(st.sampled_from([None, "mr-old", "absent"])),
    )


@st.composite
def built_requests(draw: Draw) -> Call:
    hook = draw(st.sampled_from(list(SERVICES)))
    drafts = [draw(random_order(f"mr-{n}")) for n in range(draw(st.integers(1, 3)))]
    age = draw(st.integers(0, 110))
    observations = [
        f.weight(draw(odd_floats)),
        f.egfr(draw(odd_floats), days=draw(st.integers(-5, 900))),
        f.crcl(draw(odd_floats)),
    ]
    request = f.hook_request(
        drafts,
        hook=hook,
        patient_resource=f.patient(
            birth_date=draw(st.sampled_from([f.years_ago(age), None, *ODD_DATES])),
            gender=draw(st.sampled_from(["male", "female", "other", "unknown"])),
        ),
        medications=[draw(random_order("mr-old")) for _ in range(draw(st.integers(0, 2)))],
        conditions=draw(
            st.lists(
                st.builds(
                    f.condition,
                    icd10=st.sampled_from([None, "N18.5", "G40.909", "K25.9", "Z33.1", "F29"]),
                    status=st.sampled_from([None, "active", "resolved", "remission"]),
                ),
                max_size=3,
            )
        ),
        observations=draw(st.lists(st.sampled_from(observations), max_size=3)),
    )
    if hook == "patient-view":
        # patient-view reads the active orders from prefetch.
        request["prefetch"]["medications"] = f.searchset(drafts)
    return Call(SERVICES[hook], request)


requests = st.one_of(
    built_requests(),
    mutated_requests(),
    built_requests().flatmap(
        lambda call: mutated(call.request).map(lambda request: Call(call.service, request))
    ),
)
