"""Schedules as suggestions: the variant, the target, and the words of the label."""

from __future__ import annotations

from service.clinical.facts import BaclofenOrder
from service.clinical.findings import ScheduleSuggestion
from service.clinical.knowledge import Knowledge
from service.clinical.limits import is_elderly, oral_ceiling, renal_band
from service.clinical.rule_input import RuleInput
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
    if is_elderly(inp.patient, inp.knowledge):
        return True
    if age is not None and age.youngest < dosing.titration.slow_variant_under_age:
        return True
    return renal_band(inp.patient, inp.knowledge) is not None


def long_taper(inp: RuleInput, from_daily: float) -> bool:
    """At least 21 days: 60 mg/day or more, age 65 or over, or renal impairment."""
    return (
        from_daily >= inp.knowledge.dosing.taper.long_from_daily_mg
        or is_elderly(inp.patient, inp.knowledge)
        or renal_band(inp.patient, inp.knowledge) is not None
    )


def _substitution_note(schedule: Schedule, knowledge: Knowledge) -> str:
    strength = schedule.product.strength_mg
    if not schedule.substituted or strength is None:
        return ""
    return knowledge.words("substitution", strength=number(strength))


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
    if schedule is None or (from_daily is None and len(schedule.steps) < 2):
        return None
    dosing = inp.knowledge.dosing
    label = inp.knowledge.words(
        "slow_titration" if slow else "titration",
        start=number(schedule.steps[0].daily),
        per_day=number(dosing.titration.slow_step_daily_mg),
        per_dose=number(dosing.titration.max_step_daily_mg / dosing.oral.start_frequency_per_day),
        interval=dosing.titration.interval_days,
        final=number(schedule.final_daily),
        substitution=_substitution_note(schedule, inp.knowledge),
    )
    return ScheduleSuggestion(inp.order, schedule, label, prior=inp.context.current)


def _doses_a_day(order: BaclofenOrder, default: int, knowledge: Knowledge) -> int:
    """How many doses a day the patient takes now: a taper keeps that rhythm."""
    per_day = order.dose.steps[-1].per_day
    most = knowledge.dosing.deliverable.max_doses_per_day
    return max(1, min(most, round(per_day))) if per_day else default


def taper_suggestion(
    inp: RuleInput,
    current: BaclofenOrder,
    from_daily: float,
    to_daily: float = 0.0,
    *,
    final_per_day: int | None = None,
) -> ScheduleSuggestion | None:
    schedule = taper(
        knowledge=inp.knowledge,
        product=current.product,
        from_daily=from_daily,
        to_daily=to_daily,
        long=long_taper(inp, from_daily),
        per_day=_doses_a_day(
            current, inp.knowledge.dosing.oral.start_frequency_per_day, inp.knowledge
        ),
        final_per_day=final_per_day,
    )
    if schedule is None:
        return None
    label = inp.knowledge.words(
        "taper_to_dose" if to_daily > 0 else "taper_to_stop",
        start=number(from_daily),
        final=number(schedule.final_daily),
        days=schedule.total_days,
        substitution=_substitution_note(schedule, inp.knowledge),
    )
    return ScheduleSuggestion(inp.order, schedule, label, prior=current)


def intrathecal_suggestion(
    inp: RuleInput, current: BaclofenOrder, from_mcg: float, to_mcg: float = 0.0
) -> ScheduleSuggestion | None:
    reduction = inp.knowledge.dosing.intrathecal.reduction
    schedule = intrathecal_reduction(
        knowledge=inp.knowledge, product=current.product, from_mcg=from_mcg, to_mcg=to_mcg
    )
    if schedule is None:
        return None
    if len(schedule.steps) == 1 and to_mcg <= 0:
        key = "intrathecal_keep"
    else:
        key = "intrathecal_to_dose" if to_mcg > 0 else "intrathecal_to_stop"
    label = inp.knowledge.words(
        key,
        start=number(from_mcg),
        final=number(schedule.final_daily),
        days=schedule.total_days,
        percent=number(reduction.max_step_fraction * 100),
    )
    return ScheduleSuggestion(inp.order, schedule, label, prior=current)
