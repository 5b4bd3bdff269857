"""Which schedule a card offers: the variant, the target, and the words of the label."""

from __future__ import annotations

from service.clinical.facts import BaclofenOrder
from service.clinical.findings import ScheduleSuggestion
from service.clinical.limits import oral_ceiling, renal_band
from service.clinical.rules.base import RuleInput
from service.clinical.schedules import (
    Schedule,
    intrathecal_reduction,
    taper,
    titration,
)
from service.clinical.wording import number


def slow_variant(inp: RuleInput) -> bool:
    """Slow titration (+5 mg/day): age 65 or over, renal impairment, children under 12."""
    dosing = inp.knowledge.dosing
    age = inp.patient.age
    if age is not None and age.oldest >= dosing.elderly.from_age:
        return True
    if age is not None and age.youngest < dosing.titration.slow_variant_under_age:
        return True
    return renal_band(inp.patient, inp.knowledge) is not None


def long_taper(inp: RuleInput, from_daily: float) -> bool:
    """At least 21 days: 60 mg/day or more, age 65 or over, or renal impairment."""
    dosing = inp.knowledge.dosing
    age = inp.patient.age
    return (
        from_daily >= dosing.taper.long_from_daily_mg
        or (age is not None and age.oldest >= dosing.elderly.from_age)
        or renal_band(inp.patient, inp.knowledge) is not None
    )


def _substitution_note(schedule: Schedule) -> str:
    strength = schedule.product.strength_mg
    if not schedule.substituted or strength is None:
        return ""
    return f" (as {number(strength)} mg tablets, which allow the 5 mg steps)"


def titration_suggestion(
    inp: RuleInput, target: float, *, slow: bool, from_daily: float | None = None
) -> ScheduleSuggestion | None:
    ceiling = oral_ceiling(inp.patient, inp.knowledge)
    schedule = titration(
        knowledge=inp.knowledge,
        product=inp.order.product,
        target_daily=target,
        ceiling_daily=ceiling.daily_mg,
        slow=slow,
        from_daily=from_daily,
    )
    if schedule is None or len(schedule.steps) < 2:
        return None
    pace = "+5 mg/day" if slow else "+5 mg per dose"
    label = (
        f"{'Slow titration' if slow else 'Titration'}: {number(schedule.steps[0].daily)} mg/day, "
        f"{pace} every {inp.knowledge.dosing.titration.interval_days} days to "
        f"{number(schedule.final_daily)} mg/day{_substitution_note(schedule)}"
    )
    return ScheduleSuggestion(inp.order, schedule, label, prior=inp.context.current)


def taper_suggestion(
    inp: RuleInput, current: BaclofenOrder, from_daily: float, to_daily: float = 0.0
) -> ScheduleSuggestion | None:
    schedule = taper(
        knowledge=inp.knowledge,
        product=current.product,
        from_daily=from_daily,
        to_daily=to_daily,
        long=long_taper(inp, from_daily),
    )
    if schedule is None:
        return None
    end = f"{number(to_daily)} mg/day" if to_daily > 0 else "stop"
    label = (
        f"Taper instead: {number(from_daily)} mg/day down to {end} over "
        f"{schedule.total_days} days{_substitution_note(schedule)}"
    )
    return ScheduleSuggestion(inp.order, schedule, label, prior=current)


def intrathecal_suggestion(
    inp: RuleInput, current: BaclofenOrder, from_mcg: float, to_mcg: float = 0.0
) -> ScheduleSuggestion | None:
    schedule = intrathecal_reduction(
        knowledge=inp.knowledge, product=current.product, from_mcg=from_mcg, to_mcg=to_mcg
    )
    if schedule is None:
        return None
    end = f"{number(to_mcg)} mcg/day" if to_mcg > 0 else "stop"
    label = (
        f"Reduce gradually: {number(from_mcg)} mcg/day down to {end} over "
        f"{schedule.total_days} days, at most 20 % per step"
    )
    return ScheduleSuggestion(inp.order, schedule, label, prior=current)


def slow_titration_for_start_or_increase(inp: RuleInput) -> ScheduleSuggestion | None:
    """The slow variant when the order starts baclofen or raises the dose (elderly, renal)."""
    order = inp.order
    if inp.patient_view or not inp.is_oral or order.is_stop:
        return None
    ordered = order.dose.highest_daily
    if ordered is None:
        return None
    titration_data = inp.knowledge.dosing.titration
    current = inp.context.current
    if inp.context.is_new_start:
        start = inp.knowledge.dosing.oral.start_daily_mg
        target = ordered if ordered > start else titration_data.plan_target_daily_mg
        return titration_suggestion(inp, target, slow=True)
    if current is not None and current.dose.kind is order.dose.kind:
        before = current.dose.highest_daily
        if before is not None and ordered > before:
            return titration_suggestion(inp, ordered, slow=True, from_daily=before)
    return None
