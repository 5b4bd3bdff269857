"""The one corrective suggestion every dose rule makes: the highest dose the patient may have
now, reached the way the rules allow.

A corrected dose must not itself break a rule when the prescriber accepts it. From an
established dose that means at most +15 mg/day, no sooner than 3 days after the last change,
and at most -15 mg/day at once (a taper otherwise); for a new start, a titration from
5 mg three times daily.
"""

from __future__ import annotations

from datetime import timedelta

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.dosing.deliverable import doses_between, doses_not_above
from service.clinical.findings import SuggestionSpec, UpdateDose
from service.clinical.limits import oral_ceiling
from service.clinical.rules.base import RuleInput, current_daily, number
from service.clinical.rules.schedule_suggestions import (
    slow_variant,
    taper_suggestion,
    titration_suggestion,
)
from service.clinical.schedules import doses_text

_EPSILON = 1e-9


def _within_ceiling(inp: RuleInput, target_daily: float, why: str) -> tuple[float, str]:
    """The target, lowered to the patient's ceiling when another limit is lower still.

    Each rule knows its own limit (a band, a renal cap); the correction it offers must keep
    all of them, or accepting one card's suggestion would fire another card.
    """
    ceiling = oral_ceiling(inp.patient, inp.knowledge)
    if ceiling.daily_mg < target_daily - _EPSILON:
        return ceiling.daily_mg, ceiling.reason
    return target_daily, why


def permitted_dose(inp: RuleInput, target_daily: float, why: str) -> SuggestionSpec | None:
    """Bring the order to ``target_daily`` (a limit: maximum, band, renal cap) safely."""
    order = inp.order
    target_daily, why = _within_ceiling(inp, target_daily, why)
    if order.dose.kind is not DoseKind.ORAL or target_daily <= 0:
        return None
    current = inp.context.current
    before = None
    if current is not None and current.dose.kind is DoseKind.ORAL:
        before = current_daily(current, inp.patient.today)
    if before is None:
        if inp.context.is_new_start and target_daily > inp.knowledge.dosing.oral.start_daily_mg:
            return titration_suggestion(inp, target_daily, slow=slow_variant(inp))
        return _update(inp, target_daily, why)
    assert current is not None
    taper = inp.knowledge.dosing.discontinuation.max_cut_daily_mg
    if target_daily < before - taper - _EPSILON:
        return taper_suggestion(inp, current, before, target_daily)
    titration = inp.knowledge.dosing.titration
    if target_daily > before + _EPSILON:
        allowed = min(target_daily, before + titration.max_step_daily_mg)
        step = max(order.dose.steps, key=lambda s: s.daily or 0)
        doses = doses_between(before, allowed, step.per_day or 3, order.product)
        if not doses:
            return None
        start = None
        if current.authored_on is not None:
            earliest = current.authored_on + timedelta(days=titration.interval_days)
            start = earliest if earliest > inp.patient.today else None
        daily = sum(doses)
        direct = daily >= target_daily - _EPSILON and start is None
        label = f"Change to {doses_text(doses, 'mg')} " + (
            f"({number(daily)} mg/day, {why})"
            if direct
            else f"({number(daily)} mg/day, the next permitted step"
            + (f", from {start.isoformat()})" if start else ")")
        )
        return UpdateDose(order, doses, label, True, start)
    return _update(inp, target_daily, why)


def _update(inp: RuleInput, target_daily: float, why: str) -> UpdateDose | None:
    order = inp.order
    step = max(order.dose.steps, key=lambda s: s.daily or 0)
    doses = doses_not_above(target_daily, step.per_day or 3, order.product)
    if not doses:
        return None
    label = f"Change to {doses_text(doses, 'mg')} ({number(sum(doses))} mg/day, {why})"
    return UpdateDose(order, doses, label, recommended=True)


def stepping_note(inp: RuleInput, target_daily: float) -> tuple[str, ...]:
    """Why a correction does not go straight to ``target_daily`` (for the card detail)."""
    target_daily, _ = _within_ceiling(inp, target_daily, "")
    current = inp.context.current
    if current is None or current.dose.kind is not DoseKind.ORAL:
        return ()
    before = current_daily(current, inp.patient.today)
    if before is None:
        return ()
    dosing = inp.knowledge.dosing
    if target_daily > before + dosing.titration.max_step_daily_mg + _EPSILON:
        return (
            f"From the current {number(before)} mg/day the dose may rise by at most "
            f"{number(dosing.titration.max_step_daily_mg)} mg/day every "
            f"{dosing.titration.interval_days} days: the suggestion is the next step towards "
            f"{number(target_daily)} mg/day.",
        )
    if target_daily < before - dosing.discontinuation.max_cut_daily_mg - _EPSILON:
        return (
            f"From the current {number(before)} mg/day a cut to {number(target_daily)} mg/day "
            "at once risks withdrawal: the suggestion tapers down to it.",
        )
    return ()
