"""Accepting a suggestion never creates the problem a card warns about.

For every fixture and every suggestion that rewrites the draft order, the rewritten order is
sent back through the rules (as the EHR would at the next order-sign): no dose-change warning
may fire on it, and its dose stays within the patient's ceiling.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from service.clinical.knowledge import Knowledge
from service.fixtures import load_fixture
from tests.clinical.conftest import assess_fixture
from tests.conftest import FIXTURES

# Cards that would mean the suggestion itself is wrong.
SELF_INFLICTED = {
    "start-dose-high",
    "titration-too-fast",
    "abrupt-discontinuation",
    "intrathecal-discontinuation",
    "dose-above-max",
    "dose-unverifiable",
    "dose-unit-suspect",
}


def _accepted(request: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any] | None:
    accepted = copy.deepcopy(request)
    entries = accepted["context"]["draftOrders"]["entry"]
    for entry in entries:
        if entry["resource"].get("id") == resource.get("id"):
            entry["resource"] = resource
            return accepted
    return None


CASES = [
    path
    for path in sorted(FIXTURES.glob("*.json"))
    if load_fixture(path).request["hook"] != "patient-view"
]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_accepting_any_suggestion_is_safe(knowledge: Knowledge, path: Path) -> None:
    fixture = load_fixture(path)
    result = assess_fixture(knowledge, fixture)
    for card in result.cards:
        for suggestion in card.suggestions:
            for action in suggestion.actions:
                resource = action.resource
                if resource is None or resource.get("resourceType") != "MedicationRequest":
                    continue
                accepted = _accepted(fixture.request, resource)
                if accepted is None:
                    continue  # it changes another order (a duplicate being stopped)
                again = assess_fixture(knowledge, fixture, accepted)
                fired = {
                    c.source.topic.code
                    for c in again.cards
                    if c.source.topic and c.indicator != "info"
                }
                assert not fired & SELF_INFLICTED, (suggestion.label, fired & SELF_INFLICTED)
                corrected = card.source.topic.code if card.source.topic else ""
                assert corrected not in fired or corrected in {
                    # These rest on the patient, not the dose: they stay after any change.
                    "renal-impairment",
                    "renal-contraindication",
                    "pediatric-caution",
                    "excipient-lactose",
                    "contraindication-pregnancy",
                    "duplicate-therapy",
                }, (suggestion.label, corrected)
