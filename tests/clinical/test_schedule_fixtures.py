"""Every fixture marked ``taper`` or ``titration`` gets a schedule that satisfies the catalogue.

The suggested MedicationRequest is read back by the service's own dose arithmetic (as the EHR
would send it at the next order-sign) and its steps are checked against the schedule rules.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from service.clinical.dosing.daily_dose import DoseKind, order_dose
from service.clinical.dosing.products import recognise
from service.clinical.knowledge import Knowledge
from service.pipeline.examples import load_fixture
from tests.clinical.conftest import assess_fixture
from tests.conftest import FIXTURES

SCHEDULED = [
    path
    for path in sorted(FIXTURES.glob("*.json"))
    if load_fixture(path).expect.get("taper") or load_fixture(path).expect.get("titration")
]


def _schedules(knowledge: Knowledge, path: Path) -> list[dict[str, Any]]:
    result = assess_fixture(knowledge, load_fixture(path))
    found = []
    for card in result.cards:
        for suggestion in card.suggestions:
            for action in suggestion.actions:
                resource = action.resource or {}
                sequences = {d.get("sequence") for d in resource.get("dosageInstruction", [])}
                if resource.get("resourceType") == "MedicationRequest" and len(sequences) > 1:
                    found.append(resource)
    return found


def test_each_variant_has_an_example() -> None:
    names = " ".join(p.stem for p in SCHEDULED)
    for variant in ("new-start", "80-year-old", "child", "renal", "stop-80", "intrathecal", "70"):
        assert variant in names, variant


@pytest.mark.parametrize("path", SCHEDULED, ids=lambda p: p.stem)
def test_the_schedule_satisfies_the_rules(knowledge: Knowledge, path: Path) -> None:
    expect = load_fixture(path).expect
    schedules = _schedules(knowledge, path)
    assert schedules, "no schedule suggestion"
    for resource in schedules:
        product = recognise(resource, lambda _: None, knowledge)
        assert product is not None
        dose = order_dose(resource, product, knowledge)
        steps = dose.steps
        assert dose.computable and [s.sequence for s in steps] == list(range(1, len(steps) + 1))
        dailies = [s.daily or 0 for s in steps]
        if dose.kind is DoseKind.INTRATHECAL:
            first = dailies[0]
            for before, after in itertools.pairwise(dailies):
                assert 0 < before - after <= 0.2 * (first / 0.8) + 1e-6
            continue
        if expect.get("titration"):
            assert dailies[0] <= 15
            for before, after in itertools.pairwise(dailies):
                assert 0 < after - before <= 15
            assert all(s.duration_days == 3 for s in steps[:-1]) and steps[-1].duration_days is None
            assert max(dailies) <= 100
        if expect.get("taper"):
            durations = [s.duration_days for s in steps]
            bounded = [d for d in durations if d is not None]
            assert all(d >= 3 for d in bounded)
            for before, after in itertools.pairwise(dailies):
                assert 0 <= before - after <= (5 if before <= 15 else 15)
            if None not in durations:  # a taper to zero
                assert dailies[-1] <= 5
                assert 14 <= sum(bounded) <= 42
