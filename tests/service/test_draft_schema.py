"""The fast check of draft orders never calls valid what fhir.resources refuses, and the draft
orders' validation answers exactly as it did when every draft went through fhir.resources."""

from __future__ import annotations

import copy
from typing import Any
from unittest.mock import patch

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cds_hooks.errors import CdsHooksError
from service.pipeline import draft_orders
from service.pipeline.draft_orders import normalise_draft_orders
from service.pipeline.draft_schema import clearly_valid
from tests import factories as f
from tests.fuzz.limits import examples
from tests.fuzz.strategies import EXAMPLES, MUTATIONS, Draw, parent_of, paths, random_order

# Values at the edges of the FHIR primitives' patterns, for any element.
EDGE_VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 1.0, -0.0, 0.5,
    1e-7, 1e16, 1e300, 15, "", " ", "\t", "\n", "\x0b", "\x0c", "\x1c", "\u00a0", "\u2028",
    "\u3000", "a", " a", "a ", "a  b", "a b", "a\nb", "a\tb", "é", "\ud800", "x" * 64, "x" * 65,
    "a.b-C9", "a_b", "a/b", "http://x y", "urn:uuid:0", "2026", "2026-13", "2026-02",
    "2026-02-29", "2024-02-29", "2026-11-23", "0000", "0001-01-01",
    "2026-11-23T09:00:00Z", "2026-11-23T09:00:00", "2026-11-23T09:00Z",
    "2026-11-23T09:00:60Z", "2026-11-23T23:59:59.1234567Z", "2026-11-23T09:00:00.123456+14:00",
    "2026-11-23T09:00:00+14:01", "2026-11-23T09:00:00-00:00", "2026-11-23T24:00:00Z",
    "2026-11-23t09:00:00Z", "2026-11-23T09:00:00.Z", [], {}, [None], [{}], ["a"], {"a": 1},
]  # fmt: skip
KEYS = ["id", "extension", "_status", "resourceType", "fhir_comments", "contained", "text",
        "medicationReference", "reportedBoolean", "reportedReference", "unknownElement",
        "doNotPerform", "priority", "instantiatesCanonical", "url", "valueString"]  # fmt: skip


def _fixture_orders() -> list[dict[str, Any]]:
    orders = []
    for example in EXAMPLES:
        bundle = example.request.get("context", {}).get("draftOrders") or {}
        for entry in bundle.get("entry", []):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict) and resource.get("resourceType") == "MedicationRequest":
                orders.append(resource)
    return orders


FIXTURE_ORDERS = _fixture_orders()


def edge_value(draw: Draw, document: Any, path: tuple[str | int, ...]) -> None:
    parent_of(document, path)[path[-1]] = copy.deepcopy(draw(st.sampled_from(EDGE_VALUES)))


def added_element(draw: Draw, document: Any, path: tuple[str | int, ...]) -> None:
    target = parent_of(document, path)[path[-1]]
    if isinstance(target, dict):
        target[draw(st.sampled_from(KEYS))] = copy.deepcopy(draw(st.sampled_from(EDGE_VALUES)))
    else:
        edge_value(draw, document, path)


@st.composite
def mutated_orders(draw: Draw) -> dict[str, Any]:
    order = draw(st.one_of(st.sampled_from(FIXTURE_ORDERS), random_order("mr-draft")))
    document = {"order": copy.deepcopy(order)}
    mutations = [*MUTATIONS, edge_value, edge_value, added_element, added_element]
    for _ in range(draw(st.integers(1, 3))):
        places = list(paths(document))
        if not places:
            break
        draw(st.sampled_from(mutations))(draw, document, draw(st.sampled_from(places)))
    order = document.get("order")
    return order if isinstance(order, dict) else {}


def _library_accepts(order: dict[str, Any]) -> bool:
    try:
        MedicationRequest.model_validate(order)
    except (ValidationError, ValueError, TypeError):
        return False
    return True


def _outcome(bundle: dict[str, Any]) -> Any:
    try:
        return ("ok", normalise_draft_orders(bundle))
    except CdsHooksError as error:
        return ("error", error.status, [(i.diagnostics, i.expression) for i in error.issues])


@settings(max_examples=examples(400), deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_orders())
def test_what_the_fast_check_calls_valid_fhir_resources_accepts(order: dict[str, Any]) -> None:
    if order.get("resourceType") == "MedicationRequest" and clearly_valid(order):
        assert _library_accepts(order), order


@settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_orders())
def test_draft_orders_answer_as_with_fhir_resources_alone(order: dict[str, Any]) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": order}]}
    fast = _outcome(copy.deepcopy(bundle))
    with patch.object(draft_orders, "clearly_valid", lambda resource: False):
        slow = _outcome(copy.deepcopy(bundle))
    assert fast == slow


def test_well_formed_drafts_take_the_fast_path() -> None:
    # The fixtures' and the factories' orders, as the service receives them from EHRs.
    orders = [*FIXTURE_ORDERS, f.med_request(f.BACLOFEN_10, [f.dosage(dose=10, frequency=3)])]
    accepted = [order for order in orders if _library_accepts(order)]
    assert accepted
    assert all(clearly_valid(order) for order in accepted)


@pytest.mark.parametrize(
    "change",
    [
        {"status": " draft"},
        {"intent": ""},
        {"authoredOn": "2026-02-30"},
        {"authoredOn": "2026-11-23T09:00:00"},
        {"id": "a/b"},
        {"medicationReference": {"reference": "Medication/x"}},  # and a CodeableConcept
        {"doNotPerform": "maybe"},
        {"unknownElement": 1},
    ],
)
def test_invalid_drafts_are_left_to_fhir_resources(change: dict[str, Any]) -> None:
    order = {**f.med_request(f.BACLOFEN_10, [f.dosage(dose=10, frequency=3)]), **change}
    assert not clearly_valid(order)
    assert not _library_accepts(order)
