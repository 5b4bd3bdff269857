"""dose-above-max, dose-above-label, tablet-strength, dose-unverifiable, dose-unit-suspect,
duplicate-therapy: at their boundaries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.clinical.conftest import Assess, action_resource, cards_by_code
from tests.factories import (
    BACLOFEN_5,
    BACLOFEN_10,
    BACLOFEN_20,
    BACLOFEN_IT_TEXT,
    INTRATHECAL,
    dosage,
    hook_request,
    med_request,
)

Fired = Callable[..., dict[str, str]]


def established(
    draft_daily: float, current_daily: float = 60, medication: dict[str, Any] = BACLOFEN_20
) -> dict[str, Any]:
    """An established patient (active order 10 days old) whose draft gives ``draft_daily``."""
    active = med_request(
        medication, [dosage(current_daily / 3)], status="active", authored_days_ago=10
    )
    draft = med_request(medication, [dosage(draft_daily / 3)], prior=active["id"])
    return hook_request([draft], medications=[active])


@pytest.mark.parametrize(
    ("daily", "expected"), [(80, None), (81, "warning"), (100, "warning"), (101, "critical")]
)
def test_maximum_and_label_boundaries(fired: Fired, daily: float, expected: str | None) -> None:
    codes = fired(established(daily, current_daily=daily - 15))
    if expected is None:
        assert "dose-above-label" not in codes and "dose-above-max" not in codes
    elif expected == "warning":
        assert codes["dose-above-label"] == "warning" and "dose-above-max" not in codes
    else:
        assert codes["dose-above-max"] == "critical" and "dose-above-label" not in codes


def test_dose_above_max_suggests_the_highest_permitted_dose(run: Assess) -> None:
    card = cards_by_code(run(established(120, current_daily=105)))["dose-above-max"]
    assert len(card.suggestions) == 1
    resource = action_resource(card)
    quantity = resource["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    per_day = resource["dosageInstruction"][0]["timing"]["repeat"]["frequency"]
    assert quantity["value"] * per_day <= 100
    assert quantity["value"] % 10 == 0  # half tablets of 20 mg


@pytest.mark.parametrize(
    ("medication", "daily", "fires"),
    [
        (BACLOFEN_10, 74, False),
        (BACLOFEN_10, 75, True),
        (BACLOFEN_20, 80, True),
        ({"text": "baclofen 25 mg tablet"}, 100, False),
    ],
)
def test_tablet_strength(
    fired: Fired, medication: dict[str, Any], daily: float, fires: bool
) -> None:
    draft = med_request(medication, [dosage(daily, frequency=1)])
    active = med_request(
        medication, [dosage(daily, frequency=1)], status="active", authored_days_ago=30
    )
    draft["priorPrescription"] = {"reference": f"MedicationRequest/{active['id']}"}
    codes = fired(hook_request([draft], medications=[active]))
    assert ("tablet-strength" in codes) is fires
    if fires:
        assert codes["tablet-strength"] == "info"


def test_tablet_strength_does_not_apply_to_solutions(fired: Fired) -> None:
    draft = med_request({"text": "baclofen 5 mg/mL oral suspension"}, [dosage(80, frequency=1)])
    assert "tablet-strength" not in fired(hook_request([draft]))


@pytest.mark.parametrize(
    ("unit", "value", "per_day", "fires"),
    [
        ("mcg", 10, 3, True),
        ("mcg", 10000, 3, False),
        ("g", 10, 3, True),
        ("g", 0.01, 3, False),
        ("mg", 0.1, 3, False),
    ],
)
def test_oral_unit_suspect(
    fired: Fired, unit: str, value: float, per_day: int, fires: bool
) -> None:
    draft = med_request(BACLOFEN_10, [dosage(value, unit, frequency=per_day)])
    codes = fired(hook_request([draft]))
    assert (codes.get("dose-unit-suspect") == "critical") is fires


@pytest.mark.parametrize(("mg_per_day", "fires"), [(2, False), (2.5, True), (0.9, False)])
def test_intrathecal_dose_written_in_mg(fired: Fired, mg_per_day: float, fires: bool) -> None:
    draft = med_request(
        BACLOFEN_IT_TEXT, [dosage(mg_per_day, "mg", frequency=1, route=INTRATHECAL)]
    )
    assert ("dose-unit-suspect" in fired(hook_request([draft]))) is fires


def test_a_unit_error_silences_the_cards_built_on_the_wrong_number(fired: Fired) -> None:
    draft = med_request(BACLOFEN_10, [dosage(10, "g", frequency=3)])
    assert fired(hook_request([draft])) == {"dose-unit-suspect": "critical"}


def test_unverifiable_dose_says_why(run: Assess) -> None:
    draft = med_request({"text": "baclofen tablets"}, [dosage(2, "tablet")])
    card = cards_by_code(run(hook_request([draft])))["dose-unverifiable"]
    assert card.indicator == "warning"
    assert card.summary == "Baclofen dose could not be verified: the tablet strength is not stated"


def test_no_dose_at_all_is_data_missing_not_unverifiable(fired: Fired) -> None:
    draft = med_request(BACLOFEN_10, [])
    codes = fired(hook_request([draft]))
    assert codes["data-missing"] == "warning" and "dose-unverifiable" not in codes


def test_duplicate_therapy_when_the_draft_replaces_nothing(run: Assess) -> None:
    active = med_request(BACLOFEN_10, [dosage(10)], status="active", authored_days_ago=40)
    draft = med_request(BACLOFEN_10, [dosage(10)])
    card = cards_by_code(run(hook_request([draft], medications=[active])))["duplicate-therapy"]
    assert card.indicator == "warning"
    assert card.summary == "2 baclofen orders would be active together: oral 60 mg/day"
    linked, stopped = (action_resource(card, 0, i) for i in (0, 1))
    assert linked["id"] == draft["id"]
    assert linked["priorPrescription"] == {"reference": f"MedicationRequest/{active['id']}"}
    assert stopped["status"] == "stopped" and stopped["id"] == active["id"]


def test_no_duplicate_when_prior_prescription_names_the_active_order(fired: Fired) -> None:
    active = med_request(BACLOFEN_10, [dosage(10)], status="active", authored_days_ago=40)
    draft = med_request(BACLOFEN_10, [dosage(10)], prior=active["id"])
    assert "duplicate-therapy" not in fired(hook_request([draft], medications=[active]))


def test_two_baclofen_drafts_in_one_session_are_a_duplicate_once(run: Assess) -> None:
    first, second = med_request(BACLOFEN_10, [dosage(5)]), med_request(BACLOFEN_5, [dosage(5)])
    result = run(hook_request([first, second]))
    assert result.rule_codes.count("duplicate-therapy") == 1
    action = cards_by_code(result)["duplicate-therapy"].suggestions[0].actions[0]
    assert action.type == "delete" and action.resourceId == f"MedicationRequest/{second['id']}"
