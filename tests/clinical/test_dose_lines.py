"""One dosage line and the steps they make: PRN maximums, rates, missing or odd doses, bounds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from service.clinical.dosing.daily_dose import DoseStep, OrderDose, order_dose
from service.clinical.dosing.products import recognise
from service.clinical.knowledge import Knowledge
from tests.factories import (
    BACLOFEN_10,
    BACLOFEN_IT_TEXT,
    BACLOFEN_SOLUTION_1,
    INTRATHECAL,
    UCUM,
    dosage,
    med_request,
)


def dose_of(
    dosages: list[dict[str, Any]], knowledge: Knowledge, medication: dict[str, Any] = BACLOFEN_10
) -> OrderDose:
    request = med_request(medication, dosages)
    product = recognise(request, lambda _: None, knowledge)
    assert product is not None
    return order_dose(request, product, knowledge)


def only_step(dosages: list[dict[str, Any]], knowledge: Knowledge, **kwargs: Any) -> DoseStep:
    dose = dose_of(dosages, knowledge, **kwargs)
    assert len(dose.steps) == 1
    return dose.steps[0]


def per_day(value: float, unit: str) -> dict[str, Any]:
    return {
        "numerator": {"value": value, "unit": unit, "system": UCUM, "code": unit},
        "denominator": {"value": 1, "unit": "d", "system": UCUM, "code": "d"},
    }


def test_a_prn_maximum_in_tablets(knowledge: Knowledge) -> None:
    entry = dosage(1, "tablet", frequency=6, as_needed=True)
    entry["maxDosePerPeriod"] = per_day(4, "{tbl}")
    step = only_step([entry], knowledge)
    assert (step.daily, step.per_dose, step.per_day) == (40, None, None)
    assert step.written_mass_factors == frozenset() and step.written_units == ("{tbl}",)


def test_a_prn_maximum_in_mg_keeps_its_unit(knowledge: Knowledge) -> None:
    step = only_step([dosage(10, frequency=6, as_needed=True, max_per_day=40)], knowledge)
    assert step.daily == 40 and step.written_mass_factors == frozenset({1.0})
    assert step.written_units == ("mg",)


def test_a_prn_maximum_per_week_is_the_most_on_any_day(knowledge: Knowledge) -> None:
    entry = dosage(10, frequency=6, as_needed=True)
    entry["maxDosePerPeriod"] = {
        "numerator": {"value": 70, "unit": "mg", "system": UCUM, "code": "mg"},
        "denominator": {"value": 1, "unit": "wk", "system": UCUM, "code": "wk"},
    }
    assert only_step([entry], knowledge).daily == 70


def test_as_needed_for_a_reason_takes_the_maximum_too(knowledge: Knowledge) -> None:
    entry = dosage(10, frequency=6, max_per_day=30)
    entry["asNeededCodeableConcept"] = {"text": "spasm"}
    assert only_step([entry], knowledge).daily == 30


def test_a_maximum_without_as_needed_is_not_the_dose(knowledge: Knowledge) -> None:
    assert only_step([dosage(10, frequency=2, max_per_day=80)], knowledge).daily == 20


@pytest.mark.parametrize(
    ("maximum", "problem"),
    [
        (per_day(4, "drops"), "the maximum dose per period is not in a recognised unit"),
        ("forty", "the maximum dose per period is not readable"),
        (per_day(5, "mL"), "a dose in mL needs the concentration, which is not stated"),
    ],
)
def test_unreadable_prn_maximums(knowledge: Knowledge, maximum: Any, problem: str) -> None:
    entry = dosage(10, frequency=6, as_needed=True)
    entry["maxDosePerPeriod"] = maximum
    step = only_step([entry], knowledge, medication={"text": "baclofen oral liquid"})
    assert (step.daily, step.problem, step.dose_absent) == (None, problem, False)
    assert step.written_units == ()


def test_a_rate_in_mass_per_time_keeps_its_unit(knowledge: Knowledge) -> None:
    rate = {"value": 37.5, "unit": "mcg/h", "system": UCUM, "code": "ug/h"}
    step = only_step(
        [dosage(None, frequency=None, rate=rate, route=INTRATHECAL)],
        knowledge,
        medication=BACLOFEN_IT_TEXT,
    )
    assert step.daily == pytest.approx(900) and step.written_mass_factors == frozenset({0.001})
    assert (step.per_dose, step.per_day, step.written_units) == (None, None, ())


def test_a_rate_as_a_ratio(knowledge: Knowledge) -> None:
    entry = dosage(None, frequency=None, route=INTRATHECAL)
    entry["doseAndRate"] = [{"rateRatio": per_day(0.5, "mL")}]
    step = only_step([entry], knowledge, medication=BACLOFEN_IT_TEXT)
    assert step.daily == pytest.approx(1000) and step.written_mass_factors == frozenset()


@pytest.mark.parametrize(
    ("rate", "problem"),
    [
        (
            {"value": 3, "unit": "drops/h", "code": "drops/h"},
            "the rate unit 'drops/h' is not recognised",
        ),
        ("fast", "the rate is not readable"),
        ({"numerator": {"value": 1, "unit": "mL"}}, "the rate's units are not recognised"),
    ],
)
def test_unreadable_rates(knowledge: Knowledge, rate: Any, problem: str) -> None:
    entry = dosage(None, frequency=None, route=INTRATHECAL)
    entry["doseAndRate"] = [{"rateQuantity": rate}]
    step = only_step([entry], knowledge, medication=BACLOFEN_IT_TEXT)
    assert (step.daily, step.problem, step.dose_absent) == (None, problem, False)


def test_a_dose_beside_a_rate_is_the_dose(knowledge: Knowledge) -> None:
    rate = {"value": 37.5, "unit": "mcg/h", "system": UCUM, "code": "ug/h"}
    assert only_step([dosage(10, frequency=2, rate=rate)], knowledge).daily == 20


@pytest.mark.parametrize(
    ("dose", "problem", "absent"),
    [
        (None, "no dose is stated", True),
        ({"unit": "mg", "code": "mg"}, "the dose has no number", True),
        ({"value": 10}, "the dose has no unit", False),
        ({"value": 10, "code": "drop"}, "the dose unit 'drop' is not recognised", False),
        ({"value": -5, "unit": "mg", "code": "mg"}, "the dose is negative", False),
    ],
)
def test_doses_that_cannot_be_read(
    knowledge: Knowledge, dose: dict[str, Any] | None, problem: str, absent: bool
) -> None:
    entry = dosage(None, frequency=3)
    if dose is not None:
        entry["doseAndRate"] = [{"doseQuantity": dose}]
    step = only_step([entry], knowledge)
    assert (step.daily, step.problem, step.dose_absent) == (None, problem, absent)
    assert step.written_units == ()


@pytest.mark.parametrize(
    ("dosages", "units"),
    [
        ([dosage(5, "mL", frequency=None)], ("mL",)),  # the frequency is missing
        ([dosage(5, "mL", frequency=3)], ("mL",)),  # the concentration is missing
    ],
)
def test_a_failed_line_still_names_its_unit(
    knowledge: Knowledge, dosages: list[dict[str, Any]], units: tuple[str, ...]
) -> None:
    step = only_step(dosages, knowledge, medication={"text": "baclofen oral liquid"})
    assert step.daily is None and step.written_units == units


def test_a_single_line_step_says_its_dose_and_frequency(knowledge: Knowledge) -> None:
    step = only_step([dosage(5, "mL", frequency=4)], knowledge, medication=BACLOFEN_SOLUTION_1)
    assert (step.daily, step.per_dose, step.per_day) == (20, 5, 4)
    assert step.written_units == ("mL",) and step.written_mass_factors == frozenset()


def test_lines_that_add_up_merge_what_they_say(knowledge: Knowledge) -> None:
    step = only_step(
        [dosage(10, frequency=2, days=7), dosage(10000, "mcg", frequency=1), dosage(1, "tablet")],
        knowledge,
    )
    assert step.daily == 60 and (step.per_dose, step.per_day) == (None, None)
    assert step.duration_days == 7 and step.sequence is None
    assert step.written_mass_factors == frozenset({1.0, 0.001})
    assert step.written_units == ("mg", "mcg", "tablet")


def test_one_unreadable_line_makes_its_step_unknown(knowledge: Knowledge) -> None:
    step = only_step([dosage(10, frequency=2), dosage(None, frequency=1)], knowledge)
    assert (step.daily, step.problem, step.dose_absent) == (None, "no dose is stated", True)
    assert step.written_units == ("mg",)


def test_steps_run_unsequenced_first_then_in_order(knowledge: Knowledge) -> None:
    dose = dose_of(
        [dosage(30, sequence=3), dosage(5, sequence=1), dosage(1), dosage(10, sequence=2)],
        knowledge,
    )
    assert [(s.sequence, s.daily) for s in dose.steps] == [(None, 3), (1, 15), (2, 30), (3, 90)]
    assert dose.problem is None and not dose.dose_absent and dose.is_schedule


def test_a_problem_in_a_later_step_leaves_the_others(knowledge: Knowledge) -> None:
    dose = dose_of([dosage(5, sequence=1), dosage(-1, sequence=2)], knowledge)
    assert [s.daily for s in dose.steps] == [15, None]
    assert dose.problem == "the dose is negative" and not dose.computable
    assert dose.highest_daily is None


@pytest.mark.parametrize(
    ("bounds", "days", "start"),
    [
        ({"boundsPeriod": {"start": "2026-11-01", "end": "2026-11-15"}}, 14, dt.date(2026, 11, 1)),
        ({"boundsPeriod": {"start": "2026-11-01"}}, None, dt.date(2026, 11, 1)),
        (
            {"boundsPeriod": {"start": "2026-11-15", "end": "2026-11-01"}},
            None,
            dt.date(2026, 11, 15),
        ),
        ({"boundsDuration": {"value": 2, "unit": "wk", "code": "wk"}}, 14, None),
    ],
)
def test_bounds_of_a_step(
    knowledge: Knowledge, bounds: dict[str, Any], days: float | None, start: dt.date | None
) -> None:
    timing = {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d", **bounds}}
    step = only_step([dosage(10, timing=timing)], knowledge)
    assert (step.daily, step.duration_days, step.start) == (30, days, start)


def test_bounds_stay_on_a_line_that_cannot_be_read(knowledge: Knowledge) -> None:
    timing = {"repeat": {"boundsPeriod": {"start": "2026-11-01", "end": "2026-11-08"}}}
    step = only_step([dosage(10, timing=timing)], knowledge)
    assert step.problem == "the frequency is not stated"
    assert (step.duration_days, step.start) == (7, dt.date(2026, 11, 1))


def test_an_overflowing_dose_is_unreadable(knowledge: Knowledge) -> None:
    step = only_step([dosage(1e308, frequency=3)], knowledge)
    assert (step.daily, step.problem) == (None, "the dose is too large to be computed")
    assert step.written_units == ("mg",)
