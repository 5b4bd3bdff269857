"""Long and pathological texts in every field the rules read: each answer within the bound.

The rules read text with regular expressions: medication names and displays (product, form and
strength), dosage text and timing text (frequency), route text, the names of other medicines
(interactions), condition, allergy and observation text. A pattern whose work grows faster than
its text (nested or overlapping quantifiers), or a text that is not bounded before a pattern
reads it, turns one request into seconds or minutes of a blocked event loop. Here each of
those fields gets texts of up to 30,000 characters built from the pieces the patterns look for
(digits, spaces, units, slashes, frequency words), as one run, as a repeated phrase, or mixed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as f
from tests.fuzz.limits import examples
from tests.fuzz.strategies import Call
from tests.fuzz.test_requests import Driver, check_call, driver  # noqa: F401 (fixture)

PIECES = [
    "1", "0", "5", ".", " ", "\t", "\u00a0", "mg", "mcg", "µg", "MG", "/", "ml", "mL",
    "baclofen", "Baclofen ", "tablet", "solution", "intrathecal", "oral", "once", "twice",
    "times", "a", "per", "day", "daily", "every", "h", "hours", "Q8H", "TID", "x", "-", "é",
    "epilepsy", "no ", "not ", "history of ", "lactose", "|", "(", ")",
]  # fmt: skip
PREFIXES = ["", "baclofen tablet ", "baclofen 10 ", "once", "every ", "10 mg /", "baclofen "]
SUFFIXES = ["", "x", " mg", "/ml", " daily", " a day", " hours", " tablet"]


# What makes a pattern slow is a long run it can take in many ways: digits, spaces, repeats.
RUNS = ["1", "1", "0", " ", " ", "\t", "1.", "1 ", " 1", "a", "x", "mg", "/"]


@st.composite
def pathological_text(draw: st.DrawFn) -> str:
    length = draw(st.sampled_from([1_000, 5_000, 15_000, 30_000]))
    shape = draw(st.sampled_from(["run", "run", "phrase", "mixed"]))
    if shape == "run":
        piece = draw(st.sampled_from(RUNS + PIECES))
        body = piece * (length // len(piece))
    elif shape == "phrase":
        phrase = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=2, max_size=6)))
        body = phrase * (length // len(phrase))
    else:
        pieces = draw(st.lists(st.sampled_from(PIECES), min_size=20, max_size=200))
        chunk = "".join(pieces)
        body = chunk * max(1, length // max(1, len(chunk)))
    return draw(st.sampled_from(PREFIXES)) + body[:length] + draw(st.sampled_from(SUFFIXES))


def _baclofen_request() -> dict[str, Any]:
    """An order-sign call with every kind of text the rules read, each a plain value."""
    contained = {
        "resourceType": "Medication",
        "id": "med-1",
        "code": {"text": "baclofen 10 mg tablet"},
        "form": {"text": "tablet"},
        "ingredient": [
            {
                "itemCodeableConcept": {"text": "baclofen"},
                "strength": {
                    "numerator": {"value": 10, "unit": "mg"},
                    "denominator": {"value": 1, "unit": "tablet"},
                },
            }
        ],
    }
    draft = f.med_request(
        {"coding": [{"system": f.RXNORM, "code": "999999", "display": "baclofen tablet"}],
         "text": "baclofen 10 mg tablet"},
        [f.dosage(10, timing={"code": {"text": "three times daily"}}) | {"text": "10 mg tid"}],
        rid="draft-1",
    )  # fmt: skip
    draft["dosageInstruction"][0]["route"] = {"text": "oral"}
    by_reference = f.med_request(
        dosages=[f.dosage(5)], rid="draft-2", medication_reference="#med-1", contained=[contained]
    )
    active = f.med_request(
        {"text": "baclofen 5 mg tablet"},
        [f.dosage(5) | {"text": "5 mg three times daily"}],
        status="active",
        authored_days_ago=90,
        rid="active-1",
    )
    other = f.med_request({"text": "tramadol 50 mg"}, [f.dosage(50)], status="active")
    unresolved = f.med_request(
        dosages=[f.dosage(5)], status="active", medication_reference="Medication/absent"
    )
    unresolved["medicationReference"]["display"] = "baclofen 10 mg tablet"
    observation = f.observation("82810-3", display="Pregnancy status")
    observation["valueString"] = "not pregnant"
    observation["code"]["text"] = "pregnancy status"
    return f.hook_request(
        [draft, by_reference],
        medications=[active, other, unresolved],
        conditions=[f.condition(icd10="G40.9", display="Epilepsy", text="epilepsy")],
        observations=[f.weight(80), f.egfr(95), observation],
        allergies=[f.allergy({"text": "lactose"})],
    )


Setter = Callable[[dict[str, Any], str], None]


def _at(*path: str | int) -> Setter:
    def put(request: dict[str, Any], text: str) -> None:
        target: Any = request
        for step in path[:-1]:
            target = target[step]
        assert path[-1] in target, path  # the field exists: the text replaces a real value
        target[path[-1]] = text

    return put


DRAFT = ("context", "draftOrders", "entry", 0, "resource")
CONTAINED = ("context", "draftOrders", "entry", 1, "resource", "contained", 0)
MEDICATIONS = ("prefetch", "medications", "entry")
CONDITION = ("prefetch", "conditions", "entry", 0, "resource", "code")
OBSERVATIONS = ("prefetch", "observations", "entry")
ALLERGY = ("prefetch", "allergies", "entry", 0, "resource", "code")

# Every text field the facts and rules read, in a draft and in the record.
FIELDS: dict[str, Setter] = {
    "draft medication text": _at(*DRAFT, "medicationCodeableConcept", "text"),
    "draft coding display": _at(*DRAFT, "medicationCodeableConcept", "coding", 0, "display"),
    "draft dosage text": _at(*DRAFT, "dosageInstruction", 0, "text"),
    "draft timing code text": _at(*DRAFT, "dosageInstruction", 0, "timing", "code", "text"),
    "draft route text": _at(*DRAFT, "dosageInstruction", 0, "route", "text"),
    "draft dose unit": _at(*DRAFT, "dosageInstruction", 0, "doseAndRate", 0, "doseQuantity",
                           "unit"),
    "contained medication text": _at(*CONTAINED, "code", "text"),
    "contained form text": _at(*CONTAINED, "form", "text"),
    "contained ingredient text": _at(*CONTAINED, "ingredient", 0, "itemCodeableConcept", "text"),
    "active order medication text": _at(*MEDICATIONS, 0, "resource",
                                        "medicationCodeableConcept", "text"),
    "active order dosage text": _at(*MEDICATIONS, 0, "resource", "dosageInstruction", 0, "text"),
    "other medicine text": _at(*MEDICATIONS, 1, "resource", "medicationCodeableConcept", "text"),
    "medication reference display": _at(*MEDICATIONS, 2, "resource", "medicationReference",
                                        "display"),
    "condition text": _at(*CONDITION, "text"),
    "condition coding display": _at(*CONDITION, "coding", 0, "display"),
    "observation text": _at(*OBSERVATIONS, 2, "resource", "code", "text"),
    "observation coding display": _at(*OBSERVATIONS, 2, "resource", "code", "coding", 0,
                                      "display"),
    "observation valueString": _at(*OBSERVATIONS, 2, "resource", "valueString"),
    "allergy text": _at(*ALLERGY, "text"),
}  # fmt: skip
BASE = _baclofen_request()


@st.composite
def long_text_calls(draw: st.DrawFn) -> Call:
    request = copy.deepcopy(BASE)
    # Most fields at once (about 20 texts of up to 30,000 characters: well under the body
    # limit), so that every example tries every kind of text the rules read.
    for name in sorted(FIELDS):
        if draw(st.integers(0, 4)):
            FIELDS[name](request, draw(pathological_text()))
    hook = draw(st.sampled_from(["order-sign", "patient-view"]))
    if hook == "patient-view":
        request["hook"] = "patient-view"
        del request["context"]["draftOrders"]
    return Call(f"baclofen-{hook}", request)


def test_every_field_is_reachable() -> None:
    """Each setter replaces a field the request really has (a typo would fuzz nothing)."""
    for name, put in FIELDS.items():
        request = copy.deepcopy(BASE)
        put(request, "marker")
        assert request != BASE, name


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(call=long_text_calls())
def test_long_texts_are_answered_in_time(driver: Driver, call: Call) -> None:  # noqa: F811
    check_call(driver, call)
