"""start-dose-high, titration-plan, titration-too-fast, abrupt-discontinuation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.clinical.conftest import Assess, action_resource, cards_by_code
from tests.factories import BACLOFEN_5, BACLOFEN_10, dosage, hook_request, med_request

Fired = Callable[..., dict[str, str]]


def new_start(daily: float, per_day: int = 3) -> dict[str, Any]:
    return hook_request([med_request(BACLOFEN_5, [dosage(daily / per_day, frequency=per_day)])])


def change(
    before: float, after: float, days_since: int = 10, status: str = "draft"
) -> dict[str, Any]:
    active = med_request(
        BACLOFEN_5, [dosage(before / 3)], status="active", authored_days_ago=days_since
    )
    draft = med_request(BACLOFEN_5, [dosage(after / 3)], status=status, prior=active["id"])
    return hook_request([draft], medications=[active])


@pytest.mark.parametrize(
    ("daily", "code"), [(15, "titration-plan"), (16, "start-dose-high"), (5, "titration-plan")]
)
def test_new_start_boundary(fired: Fired, daily: float, code: str) -> None:
    codes = fired(new_start(daily, per_day=1))
    assert code in codes
    other = {"titration-plan", "start-dose-high"} - {code}
    assert not other & set(codes)
    assert codes[code] == ("info" if code == "titration-plan" else "warning")


def test_start_dose_high_summary_is_specific(run: Assess) -> None:
    card = cards_by_code(run(new_start(45)))["start-dose-high"]
    assert card.summary.startswith("New baclofen start at 45 mg/day")
    assert card.overrideReasons


def test_an_active_order_makes_it_no_new_start(fired: Fired) -> None:
    codes = fired(change(15, 15))
    assert "titration-plan" not in codes and "start-dose-high" not in codes


def test_on_hold_order_counts_as_established(fired: Fired) -> None:
    request = change(30, 30)
    request["prefetch"]["medications"]["entry"][0]["resource"]["status"] = "on-hold"
    assert "titration-plan" not in fired(request)


@pytest.mark.parametrize(("after", "fires"), [(45, False), (46, True), (30, False), (60, True)])
def test_step_of_15_mg_per_day(fired: Fired, after: float, fires: bool) -> None:
    assert ("titration-too-fast" in fired(change(30, after))) is fires


@pytest.mark.parametrize(("days", "fires"), [(2, True), (3, False), (0, True), (30, False)])
def test_three_days_between_changes(fired: Fired, days: int, fires: bool) -> None:
    assert ("titration-too-fast" in fired(change(30, 35, days_since=days))) is fires


def test_too_fast_suggests_the_next_permitted_step(run: Assess) -> None:
    card = cards_by_code(run(change(30, 90)))["titration-too-fast"]
    assert card.summary == "Baclofen raised by 60 mg/day at once: steps are at most 15 mg/day"
    resource = action_resource(card)
    dose = resource["dosageInstruction"][0]
    daily = dose["doseAndRate"][0]["doseQuantity"]["value"] * dose["timing"]["repeat"]["frequency"]
    assert 30 < daily <= 45


def test_too_soon_suggests_waiting_for_the_third_day(run: Assess) -> None:
    card = cards_by_code(run(change(30, 35, days_since=1)))["titration-too-fast"]
    assert "1 days after the last change" in card.summary
    start = action_resource(card)["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"][
        "start"
    ]
    assert start == "2026-11-25"  # last change 2026-11-22 + 3 days


def test_decrease_is_not_too_fast(fired: Fired) -> None:
    assert "titration-too-fast" not in fired(change(60, 50, days_since=1))


def test_a_fast_schedule_inside_one_order(fired: Fired) -> None:
    draft = med_request(BACLOFEN_10, [dosage(5, sequence=1, days=2), dosage(10, sequence=2)])
    active = med_request(BACLOFEN_10, [dosage(5)], status="active", authored_days_ago=20)
    draft["priorPrescription"] = {"reference": f"MedicationRequest/{active['id']}"}
    assert "titration-too-fast" in fired(hook_request([draft], medications=[active]))


@pytest.mark.parametrize(("after", "fires"), [(30, False), (29, True), (45, False)])
def test_cut_of_more_than_15_mg_per_day_is_abrupt(fired: Fired, after: float, fires: bool) -> None:
    assert ("abrupt-discontinuation" in fired(change(45, after))) is fires


@pytest.mark.parametrize("status", ["stopped", "cancelled"])
def test_stopping_is_abrupt(run: Assess, status: str) -> None:
    result = run(change(45, 45, status=status))
    cards = cards_by_code(result)
    assert list(cards) == ["abrupt-discontinuation"]  # nothing else on a stop
    assert cards["abrupt-discontinuation"].summary.startswith("Stopping baclofen 45 mg/day at once")


def test_stopping_a_draft_that_was_never_active_is_silent(fired: Fired) -> None:
    draft = med_request(BACLOFEN_10, [dosage(5)], status="cancelled")
    assert fired(hook_request([draft])) == {}


def test_patient_view_has_no_dose_change_rules(fired: Fired) -> None:
    active = med_request(BACLOFEN_5, [dosage(15)], status="active", authored_days_ago=1)
    codes = fired(hook_request(hook="patient-view", medications=[active]))
    assert not {
        "titration-plan",
        "start-dose-high",
        "titration-too-fast",
        "abrupt-discontinuation",
    } & set(codes)
