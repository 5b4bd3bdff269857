"""Children (age bands, mg/kg, weight) and older patients, at every boundary age."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.clinical.conftest import Assess, action_resource, cards_by_code
from tests.clinical.suggestion_checks import steps_of
from tests.factories import (
    BACLOFEN_5,
    BACLOFEN_10,
    dosage,
    egfr,
    hook_request,
    med_request,
    patient,
    weight,
    years_ago,
)

Fired = Callable[..., dict[str, str]]


def child(
    age: int, daily: float, kg: float | None = None, weight_days: int = 20, days_extra: int = 0
) -> dict[str, Any]:
    draft = med_request(BACLOFEN_5, [dosage(daily / 2, frequency=2)])
    observations = [egfr(100)] + ([weight(kg, days=weight_days)] if kg is not None else [])
    return hook_request(
        [draft],
        patient_resource=patient(years_ago(age, days_extra)),
        observations=observations,
    )


@pytest.mark.parametrize(("age", "indicator"), [(3, "critical"), (4, None)])
def test_contraindicated_under_4(fired: Fired, age: int, indicator: str | None) -> None:
    codes = fired(child(age, 10, kg=16))
    assert codes.get("pediatric-age-contraindicated") == indicator


def test_the_day_before_the_fourth_birthday_is_still_3(fired: Fired) -> None:
    request = child(4, 10, kg=16)
    born = years_ago(4)
    request["prefetch"]["patient"]["birthDate"] = born[:8] + f"{int(born[8:]) + 1:02d}"
    assert fired(request)["pediatric-age-contraindicated"] == "critical"


@pytest.mark.parametrize(("age", "fires"), [(3, False), (4, True), (11, True), (12, False)])
def test_caution_from_4_to_11(fired: Fired, age: int, fires: bool) -> None:
    assert ("pediatric-caution" in fired(child(age, 10, kg=20 + age))) is fires


@pytest.mark.parametrize(
    ("age", "kg", "daily", "indicator"),
    [
        (1, 10, 20, None),
        (1, 10, 21, "warning"),
        (2, 13, 30, None),
        (2, 13, 31, "warning"),
        (5, 18, 30, None),
        (5, 18, 31, "warning"),
        (6, 40, 60, None),
        (6, 40, 61, "warning"),
        (9, 40, 60, None),
        (9, 40, 61, "warning"),
        (10, 40, 60, None),
        (10, 40, 61, "warning"),  # 2.0 mg/kg = 80: the 60 mg cap is lower
        (10, 25, 50, None),
        (10, 25, 51, "warning"),  # 2.0 mg/kg = 50: lower than 60
        (11, 30, 60, None),
        (11, 30, 61, "warning"),
        (17, 45, 90, None),
        (17, 45, 91, "warning"),
        (7, 22, 55, None),
        (7, 22, 56, "critical"),  # 2.5 mg/kg = 55
        (16, 80, 101, "critical"),  # above the adult ceiling
        (18, 45, 95, None),  # adult rules from 18
    ],
)
def test_paediatric_bands(
    fired: Fired, age: int, kg: float, daily: float, indicator: str | None
) -> None:
    assert fired(child(age, daily, kg=kg)).get("pediatric-dose") == indicator


def test_paediatric_dose_suggests_the_band_maximum(run: Assess) -> None:
    cards = cards_by_code(run(child(7, 80, kg=40)))
    card = cards["pediatric-dose"]
    assert card.summary == "Baclofen 80 mg/day exceeds the 60 mg/day maximum for age 7"
    # A new start: the one titration of the answer rides on the start card, up to the band.
    assert "offered once" in (card.detail or "") and not card.suggestions
    assert steps_of(action_resource(cards["start-dose-high"]))[-1] <= 60


@pytest.mark.parametrize(("age", "fires"), [(17, True), (18, False)])
def test_weight_missing_under_18(fired: Fired, age: int, fires: bool) -> None:
    assert ("weight-missing" in fired(child(age, 20))) is fires


@pytest.mark.parametrize(("weight_days", "fires"), [(92, False), (93, True)])
def test_weight_recency_is_three_calendar_months(
    fired: Fired, weight_days: int, fires: bool
) -> None:
    # 2026-11-23 minus 3 months is 2026-08-23: 92 days earlier.
    assert ("weight-missing" in fired(child(14, 20, kg=50, weight_days=weight_days))) is fires


def test_weight_missing_suggests_a_measurement(run: Assess) -> None:
    card = cards_by_code(run(child(8, 20)))["weight-missing"]
    resource = action_resource(card)
    assert resource["resourceType"] == "ServiceRequest"
    assert resource["code"]["coding"][0]["code"] == "29463-7"
    assert resource["subject"] == {"reference": "Patient/pat-1"}


def test_age_11_without_weight_cannot_check_mg_per_kg_but_warns(fired: Fired) -> None:
    codes = fired(child(11, 100))
    assert codes["weight-missing"] == "warning"
    assert "pediatric-dose" not in codes


@pytest.mark.parametrize(("age", "fires"), [(64, False), (65, True), (90, True)])
def test_elderly_from_65(fired: Fired, age: int, fires: bool) -> None:
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])], patient_resource=patient(years_ago(age))
    )
    codes = fired(request)
    assert (codes.get("elderly") == "info") is fires


def test_day_before_65th_birthday_is_64(fired: Fired) -> None:
    born = years_ago(65)
    younger = born[:8] + f"{int(born[8:]) + 1:02d}"
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])], patient_resource=patient(younger)
    )
    assert "elderly" not in fired(request)


def test_year_only_birth_date_uses_both_readings(fired: Fired) -> None:
    # Born "1961": 64 or 65 on 2026-11-23. Elderly rules use the oldest reading.
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])], patient_resource=patient("1961")
    )
    assert "elderly" in fired(request)
