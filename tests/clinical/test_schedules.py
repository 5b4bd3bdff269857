"""Schedules: the invariants of the catalogue's schedules, proved over every input with hypothesis.

Inputs: the current (or target) daily dose, the patient's age and weight, the renal band, and
the product strength. The ceiling comes from the same limits the rules use.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from service.clinical.dosing.deliverable import dose_step_mg, split_daily
from service.clinical.dosing.products import Form, Product
from service.clinical.facts import Age, Measurement, PatientFacts
from service.clinical.knowledge import Knowledge, load_knowledge
from service.clinical.limits import oral_ceiling
from service.clinical.schedules import (
    Schedule,
    intrathecal_reduction,
    taper,
    titration,
)

KNOWLEDGE: Knowledge = load_knowledge()
TODAY = dt.date(2026, 11, 23)

PRODUCTS = [
    Product(Form.TABLET, "baclofen 5 MG Oral Tablet", strength_mg=5),
    Product(Form.TABLET, "baclofen 10 MG Oral Tablet", strength_mg=10),
    Product(Form.TABLET, "baclofen 20 MG Oral Tablet", strength_mg=20),
    Product(Form.TABLET, "baclofen 25 mg tablet", strength_mg=25),
    Product(Form.LIQUID, "baclofen 1 MG/ML Oral Solution", concentration_mg_per_ml=1),
    Product(Form.LIQUID, "baclofen 2 MG/ML Oral Solution", concentration_mg_per_ml=2),
    Product(Form.LIQUID, "baclofen 5 MG/ML Oral Suspension", concentration_mg_per_ml=5),
    Product(Form.UNKNOWN, "baclofen"),
]
RENAL = [None, 45.0, 20.0]  # no impairment, impaired, contraindicated


def patient(age: int, kg: float, egfr: float | None) -> PatientFacts:
    born = TODAY.replace(year=TODAY.year - age)
    renal = Measurement("eGFR", egfr, "mL/min/1.73m2", TODAY, "98979-8") if egfr else None
    return PatientFacts(
        today=TODAY,
        patient_id="p",
        age=Age(age, age, born),
        sex=None,
        weight=Measurement("Body weight", kg, "kg", TODAY, "29463-7"),
        stale_weight=None,
        renal=renal,
        conditions=(),
        allergies=(),
        other_medications=(),
        active_baclofen=(),
        last_hepatic_test=None,
        last_glucose_test=None,
        pregnancy=None,
        lactation=None,
    )


def deliverable(schedule: Schedule) -> bool:
    step = dose_step_mg(schedule.product, KNOWLEDGE.dosing.deliverable)
    return all(
        abs(d / step - round(d / step)) < 1e-6 and d >= step - 1e-9
        for s in schedule.steps
        for d in s.doses
    )


ages = st.integers(min_value=1, max_value=100)
weights = st.floats(min_value=8, max_value=150)
renal = st.sampled_from(RENAL)
products = st.sampled_from(PRODUCTS)
oral_products = st.sampled_from(PRODUCTS)


@settings(max_examples=400, deadline=None)
@given(
    target=st.floats(min_value=1, max_value=150),
    age=ages,
    kg=weights,
    egfr=renal,
    product=oral_products,
    slow=st.booleans(),
)
def test_titration_invariants(
    target: float, age: int, kg: float, egfr: float | None, product: Product, slow: bool
) -> None:
    ceiling = oral_ceiling(patient(age, kg, egfr), KNOWLEDGE).daily_mg
    schedule = titration(
        knowledge=KNOWLEDGE, product=product, target_daily=target, ceiling_daily=ceiling, slow=slow
    )
    if schedule is None:
        return
    steps = schedule.steps
    assert steps[0].daily <= 15 + 1e-9  # starts at 5 mg three times daily at most
    assert all(s.daily <= min(target, ceiling) + 1e-9 for s in steps)
    increment = 5 if slow else 15
    for before, after in itertools.pairwise(steps):
        assert 0 < after.daily - before.daily <= increment + 1e-9
    assert all(s.days == 3 for s in steps[:-1]) and steps[-1].days is None
    assert all(1 <= s.per_day <= 4 for s in steps)
    assert deliverable(schedule)


@settings(max_examples=400, deadline=None)
@given(units=st.integers(min_value=1, max_value=48), age=ages, egfr=renal, product=oral_products)
def test_taper_to_zero_invariants(
    units: int, age: int, egfr: float | None, product: Product
) -> None:
    current = units * 2.5  # a daily dose an order gives: a multiple of half a 5 mg tablet
    long = current >= 60 or age >= 65 or egfr is not None
    schedule = taper(knowledge=KNOWLEDGE, product=product, from_daily=current, long=long)
    assert schedule is not None
    steps = schedule.steps
    previous = current
    for step in steps:
        cut = previous - step.daily
        assert cut >= -1e-9  # never raises
        assert cut <= (5 if previous <= 15 + 1e-9 else 15) + 1e-9
        assert step.days is not None and step.days >= 3
        previous = step.daily
    assert steps[-1].daily <= 5 + 1e-9  # the final stop is a 5 mg/day step at most
    assert (21 if long else 14) <= schedule.total_days <= 42
    assert deliverable(schedule) or (len(steps) == 1 and steps[0].daily == current)


@settings(max_examples=300, deadline=None)
@given(current=st.floats(min_value=0.1, max_value=120), product=oral_products)
def test_taper_never_gives_a_zero_dose(current: float, product: Product) -> None:
    schedule = taper(knowledge=KNOWLEDGE, product=product, from_daily=current, long=False)
    assert schedule is not None
    assert all(d > 0 for s in schedule.steps for d in s.doses)
    assert all(a.daily >= b.daily for a, b in itertools.pairwise(schedule.steps))


@settings(max_examples=300, deadline=None)
@given(
    units=st.integers(min_value=8, max_value=40),
    target_units=st.integers(min_value=1, max_value=7),
    product=oral_products,
)
def test_taper_to_a_maintenance_dose(units: int, target_units: int, product: Product) -> None:
    current, target = units * 2.5, target_units * 5.0
    assume(target < current)
    schedule = taper(
        knowledge=KNOWLEDGE, product=product, from_daily=current, to_daily=target, long=False
    )
    if schedule is None:
        return
    assert schedule.steps[-1].days is None and schedule.steps[-1].daily <= target + 1e-9
    previous = current
    for step in schedule.steps:
        assert 0 <= previous - step.daily <= 15 + 1e-9
        previous = step.daily


@settings(max_examples=300, deadline=None)
@given(
    current=st.floats(min_value=20, max_value=3000), target=st.floats(min_value=0, max_value=0.9)
)
def test_intrathecal_reduction(current: float, target: float) -> None:
    """Each step lowers by at most 20 % of the step before it, steps last at least 2 days,
    a cut ends open at its target, and a stop ends open at or below 100 mcg/day: never with
    a silent stop."""
    product = Product(
        Form.INTRATHECAL, "baclofen 2 MG/ML Intrathecal Solution", concentration_mg_per_ml=2
    )
    to = current * target if target > 0.1 else 0.0
    schedule = intrathecal_reduction(
        knowledge=KNOWLEDGE, product=product, from_mcg=current, to_mcg=to
    )
    assert schedule is not None and schedule.unit == "mcg"
    previous = current
    for step in schedule.steps[:-1]:
        assert step.days is not None and step.days >= 2
    for step in schedule.steps:
        assert step.daily > 0
        if previous > 100 or to > 0:
            assert 0 < previous - step.daily <= 0.2 * previous + 1e-6
        previous = step.daily
    assert schedule.steps[-1].days is None  # open-ended: the schedule never stops the pump
    if to > 0:
        assert schedule.final_daily == pytest.approx(to)
    else:
        assert schedule.final_daily <= 100 or current <= 100


def test_intrathecal_stop_from_120_mcg_does_not_end_with_a_silent_stop() -> None:
    product = Product(Form.INTRATHECAL, "baclofen intrathecal", concentration_mg_per_ml=2)
    schedule = intrathecal_reduction(knowledge=KNOWLEDGE, product=product, from_mcg=120)
    assert schedule is not None
    assert [s.daily for s in schedule.steps] == [100]
    assert schedule.steps[-1].days is None


def test_intrathecal_cuts_are_relative_to_the_previous_step() -> None:
    product = Product(Form.INTRATHECAL, "baclofen intrathecal", concentration_mg_per_ml=2)
    schedule = intrathecal_reduction(knowledge=KNOWLEDGE, product=product, from_mcg=500)
    assert schedule is not None
    assert [s.daily for s in schedule.steps] == [400, 320, 260, 210, 170, 140, 115, 95]


@pytest.mark.parametrize(
    ("daily", "unit", "doses"),
    [
        (25, 5, (10, 10, 5)),
        (10, 5, (5, 5)),
        (5, 5, (5,)),
        (45, 5, (15, 15, 15)),
        (12.5, 2.5, (5, 5, 2.5)),
    ],
)
def test_split_daily(daily: float, unit: float, doses: tuple[float, ...]) -> None:
    assert split_daily(daily, unit) == doses


def test_twenty_mg_tablets_taper_in_ten_mg_tablets() -> None:
    schedule = taper(knowledge=KNOWLEDGE, product=PRODUCTS[2], from_daily=60, long=True)
    assert schedule is not None and schedule.substituted
    assert schedule.product.strength_mg == 10
