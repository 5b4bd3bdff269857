"""Accepting a suggestion never creates the problem a card warns about.

For every fixture and every suggestion that rewrites the draft order, the rewritten order is
sent back through the rules (as the EHR would at the next order-sign): no dose-change warning
may fire on it, and its dose stays within the patient's ceiling.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from service.clinical.knowledge import Knowledge
from service.pipeline.examples import load_fixture
from tests.clinical.conftest import assess_fixture
from tests.clinical.suggestion_checks import SELF_INFLICTED, STAY_AFTER_A_CHANGE, apply_suggestion
from tests.conftest import FIXTURES

CASES = sorted(FIXTURES.glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_accepting_any_suggestion_is_safe(knowledge: Knowledge, path: Path) -> None:
    fixture = load_fixture(path)
    result = assess_fixture(knowledge, fixture)
    before = Counter(c.source.topic.code for c in result.cards if c.source.topic)
    for card in result.cards:
        code = card.source.topic.code if card.source.topic else ""
        for suggestion in card.suggestions:
            accepted = apply_suggestion(fixture.request, suggestion)
            if accepted is None:
                continue  # a test to order: nothing changes in the orders
            again = assess_fixture(knowledge, fixture, accepted)
            fired = Counter(
                c.source.topic.code for c in again.cards if c.source.topic and c.indicator != "info"
            )
            caused = {rule for rule in SELF_INFLICTED if fired[rule] > before[rule]}
            assert not caused, (suggestion.label, caused)
            if code not in STAY_AFTER_A_CHANGE:  # one card fewer: the one it resolved
                assert fired[code] < before[code], (suggestion.label, code, fired)
