"""Renal function: eGFR/CrCl bands at 29/30 and 59/60, coded CKD 4-5, ESRD and dialysis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.clinical.conftest import Assess, action_resource, cards_by_code
from tests.clinical.suggestion_checks import steps_of
from tests.factories import (
    BACLOFEN_10,
    condition,
    crcl,
    dosage,
    egfr,
    hook_request,
    med_request,
    weight,
)

Fired = Callable[..., dict[str, str]]


def with_renal(
    observations: list[dict[str, Any]],
    conditions: list[dict[str, Any]] | None = None,
    daily: float = 15,
) -> dict[str, Any]:
    draft = med_request(BACLOFEN_10, [dosage(daily / 3)])
    return hook_request([draft], observations=[weight(80), *observations], conditions=conditions)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (29, "renal-contraindication"),
        (30, "renal-impairment"),
        (59, "renal-impairment"),
        (60, None),
    ],
)
@pytest.mark.parametrize("code", ["98979-8", "62238-1", "33914-3", "48642-3", "48643-1", "50384-7"])
def test_egfr_bands(fired: Fired, value: float, expected: str | None, code: str) -> None:
    codes = fired(with_renal([egfr(value, code=code)]))
    renal = {c for c in codes if c.startswith("renal-")}
    assert renal == ({expected} if expected else set())


@pytest.mark.parametrize(
    ("value", "expected"), [(29.9, "renal-contraindication"), (30, "renal-impairment")]
)
def test_creatinine_clearance_counts_too(fired: Fired, value: float, expected: str) -> None:
    assert expected in fired(with_renal([crcl(value)]))


def test_the_latest_value_wins(fired: Fired) -> None:
    codes = fired(with_renal([egfr(25, days=200), egfr(75, days=10)]))
    assert not {c for c in codes if c.startswith("renal-")}


@pytest.mark.parametrize(("days", "counts"), [(360, True), (370, False)])
def test_values_older_than_12_months_do_not_count(fired: Fired, days: int, counts: bool) -> None:
    assert ("renal-contraindication" in fired(with_renal([egfr(20, days=days)]))) is counts


@pytest.mark.parametrize(
    ("comparator", "value", "expected"),
    [(">", 60, None), ("<", 30, "renal-contraindication"), ("<", 60, "renal-impairment")],
)
def test_comparators(fired: Fired, comparator: str, value: float, expected: str | None) -> None:
    codes = fired(with_renal([egfr(value, comparator=comparator)]))
    assert {c for c in codes if c.startswith("renal-")} == ({expected} if expected else set())


@pytest.mark.parametrize(
    "coded",
    [
        {"icd10": "N18.4", "display": "Chronic kidney disease, stage 4 (severe)"},
        {"icd10": "N18.5", "display": "Chronic kidney disease, stage 5"},
        {"icd10": "N18.6", "display": "End stage renal disease"},
        {"icd10": "Z99.2", "display": "Dependence on renal dialysis"},
        {"snomed": "431857002", "display": "Chronic kidney disease stage 4"},
        {"snomed": "46177005", "display": "End-stage renal disease"},
        {"snomed": "105502003", "display": "Dependence on renal dialysis"},
        {"text": "ESRD on hemodialysis"},
    ],
)
def test_coded_severe_renal_failure_is_contraindicated(fired: Fired, coded: dict[str, str]) -> None:
    codes = fired(with_renal([], [condition(**coded)]))  # type: ignore[arg-type]
    assert codes.get("renal-contraindication") == "critical"
    assert "renal-impairment" not in codes


def test_coded_ckd_stage_3_without_a_value_is_impairment(fired: Fired) -> None:
    codes = fired(with_renal([], [condition(icd10="N18.31", display="CKD stage 3a")]))
    assert codes.get("renal-impairment") == "warning"


def test_resolved_ckd_does_not_count(fired: Fired) -> None:
    codes = fired(with_renal([], [condition(icd10="N18.5", display="CKD 5", status="resolved")]))
    assert "renal-contraindication" not in codes


def test_renal_impairment_caps_at_40_mg(run: Assess) -> None:
    cards = cards_by_code(run(with_renal([egfr(45)], daily=60)))
    card = cards["renal-impairment"]
    assert (
        card.summary
        == "Renal impairment (eGFR 45 mL/min/1.73m2): keep baclofen at or below 40 mg/day"
    )
    # A new start: the slow titration rides on the start card and stops at the renal maximum.
    assert "offered once" in (card.detail or "")
    assert steps_of(action_resource(cards["start-dose-high"]))[-1] <= 40


def test_renal_impairment_caps_an_established_dose_at_40_mg(run: Assess) -> None:
    active = med_request(BACLOFEN_10, [dosage(50 / 3)], status="active", authored_days_ago=30)
    draft = med_request(BACLOFEN_10, [dosage(50 / 3)], prior=active["id"])
    request = hook_request([draft], medications=[active], observations=[weight(80), egfr(45)])
    card = cards_by_code(run(request))["renal-impairment"]
    assert steps_of(action_resource(card)) == [40]


def test_renal_impairment_on_an_unchanged_dose_below_the_cap_has_no_suggestion(
    run: Assess,
) -> None:
    active = med_request(BACLOFEN_10, [dosage(10)], status="active", authored_days_ago=30)
    draft = med_request(BACLOFEN_10, [dosage(10)], prior=active["id"])
    request = hook_request([draft], medications=[active], observations=[weight(80), egfr(45)])
    assert cards_by_code(run(request))["renal-impairment"].suggestions == []


def test_renal_impairment_on_a_new_start_offers_the_slow_titration(run: Assess) -> None:
    card = cards_by_code(run(with_renal([egfr(45)], daily=15)))["renal-impairment"]
    (suggestion,) = card.suggestions
    assert suggestion.label.startswith("Slow titration: 15 mg/day, +5 mg/day")
    assert card.links and card.links[0].url.startswith("https://cds.example.org/schedules/view?")


def test_renal_contraindication_offers_5_mg_once_daily(run: Assess) -> None:
    card = cards_by_code(run(with_renal([egfr(20)])))["renal-contraindication"]
    dose = action_resource(card)["dosageInstruction"][0]
    assert dose["doseAndRate"][0]["doseQuantity"]["value"] == 5
    assert dose["timing"]["repeat"]["frequency"] == 1
