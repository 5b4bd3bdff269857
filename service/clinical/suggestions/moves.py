"""The one place that turns "go from here to there" into a suggestion.

Rules ask for a target daily dose; they never build a schedule or a dose change themselves.
From the patient's current dose (``current``: the established order of the route, or none for
a new start) a move to a target is:

- intrathecal: a gradual reduction (at most 20 % of the previous step per step); never a stop,
  never an increase;
- oral, established, down by more than 15 mg/day: a taper to the target, which is then kept;
- oral, established, up: the next permitted titration step (or, for cards that offer one, a
  titration schedule), never above the patient's ceiling;
- oral, new start: a titration from 5 mg three times daily when the target is above the start,
  else the target itself;
- an unknown medication history, or an established dose that cannot be read: nothing, since
  no change can be shown to be safe.

Every target is first lowered to the patient's ceiling, so that accepting one card's
suggestion never fires another card.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.dosing.deliverable import doses_between, doses_not_above
from service.clinical.facts import BaclofenOrder
from service.clinical.findings import ScheduleSuggestion, SuggestionSpec, UpdateDose
from service.clinical.limits import oral_ceiling
from service.clinical.rule_input import RuleInput
from service.clinical.schedules import doses_text
from service.clinical.suggestions.current import (
    established_daily,
    established_order,
    route_changed,
)
from service.clinical.suggestions.schedules import (
    intrathecal_suggestion,
    slow_variant,
    taper_suggestion,
    titration_suggestion,
)
from service.clinical.wording import number

_EPSILON = 1e-9
# The wording key of "as ordered": a label says it only when the dose is the ordered one.
AS_ORDERED = "why_as_ordered"


def within_ceiling(inp: RuleInput, target_daily: float, why: str) -> tuple[float, str]:
    """The target, lowered to the patient's ceiling when another limit is lower still.

    Each rule knows its own limit (a band, a renal cap); the correction it offers must keep
    all of them, or accepting one card's suggestion would fire another card.
    """
    ceiling = oral_ceiling(inp.patient, inp.knowledge)
    if ceiling.daily_mg < target_daily - _EPSILON:
        return ceiling.daily_mg, ceiling.reason
    return target_daily, why


def move_to(
    inp: RuleInput,
    target_daily: float,
    why: str,
    *,
    per_day: int | None = None,
    increase_as_schedule: bool = False,
) -> SuggestionSpec | None:
    """Bring the order under evaluation to ``target_daily`` (mg/day oral, mcg/day
    intrathecal; 0 means towards a stop) the way the rules allow, or ``None``."""
    if not inp.context.history_known:
        return None
    route = route_changed(inp)
    if route is DoseKind.INTRATHECAL:
        return _intrathecal_move(inp, target_daily)
    ordered = inp.order.dose.highest_daily
    if target_daily > 0:
        target_daily, why = within_ceiling(inp, target_daily, why)
    if why == AS_ORDERED:
        exact = ordered is not None and abs(target_daily - ordered) <= _EPSILON
        why = inp.knowledge.words(AS_ORDERED if exact else "why_highest_permitted")
    elif why.startswith("why_"):
        why = inp.knowledge.words(why)
    current = established_order(inp)
    before = established_daily(inp)
    if current is None:
        return _new_start(inp, target_daily, why, per_day)
    if before is None:
        return None  # established, but its dose cannot be read: no change is provably safe
    if target_daily <= 0 or target_daily < before - _max_cut(inp) - _EPSILON:
        return taper_suggestion(inp, current, before, max(target_daily, 0.0), final_per_day=per_day)
    if target_daily > before + _EPSILON:
        if increase_as_schedule:
            return titration_suggestion(
                inp, target_daily, slow=slow_variant(inp), from_daily=before
            )
        return _next_step(inp, before, target_daily, why)
    return _update(inp, target_daily, why, per_day)


def _max_cut(inp: RuleInput) -> float:
    return inp.knowledge.dosing.discontinuation.max_cut_daily_mg


def start_group(inp: RuleInput) -> tuple[BaclofenOrder, ...] | None:
    """The new oral drafts of this call that start therapy together, led by this order
    (None: this order does not lead a start, so start rules and schedules are not its job)."""
    if not inp.is_oral or not inp.context.leads_start_group or inp.order.is_stop:
        return None
    return inp.context.start_group or (inp.order,)


def combined_daily(group: tuple[BaclofenOrder, ...], attribute: str) -> float | None:
    """The group's ``first_daily`` or ``highest_daily`` added up (None if one is unknown)."""
    values = [getattr(order.dose, attribute) for order in group]
    if any(value is None for value in values):
        return None
    return float(sum(values))


def _new_start(
    inp: RuleInput, target_daily: float, why: str, per_day: int | None
) -> SuggestionSpec | None:
    """A start: a titration above the starting dose, else the target itself. One order for
    all the new drafts of this route, on the first of them, which replaces the others (two
    titrations side by side would start at twice the starting dose)."""
    if target_daily <= 0:
        return None
    group = start_group(inp)
    if group is None:
        return None
    spec: UpdateDose | ScheduleSuggestion | None
    if target_daily > inp.knowledge.dosing.oral.start_daily_mg + _EPSILON:
        spec = titration_suggestion(inp, target_daily, slow=slow_variant(inp))
    else:
        found = _update(inp, target_daily, why, per_day)
        spec = found if isinstance(found, UpdateDose) else None
    if spec is None or len(group) == 1:
        return spec
    return replace(
        spec,
        label=inp.knowledge.words("one_order_for_all", label=spec.label, count=len(group)),
        withdraw=group[1:],
    )


def _intrathecal_move(inp: RuleInput, target_mcg: float) -> SuggestionSpec | None:
    current = established_order(inp)
    before = established_daily(inp)
    if current is None or before is None or target_mcg >= before - _EPSILON:
        return None  # intrathecal increases and new pumps are titrated by the specialist
    return intrathecal_suggestion(inp, current, before, max(target_mcg, 0.0))


def _next_step(inp: RuleInput, before: float, target_daily: float, why: str) -> UpdateDose | None:
    """The next titration step towards ``target_daily``: +15 mg/day at most (+5 in the slow
    variant), not sooner than the titration interval after the last change."""
    titration = inp.knowledge.dosing.titration
    step_size = titration.slow_step_daily_mg if slow_variant(inp) else titration.max_step_daily_mg
    allowed = min(target_daily, before + step_size)
    order = inp.order
    step = max(order.dose.steps, key=lambda s: s.daily or 0)
    per_day = step.per_day or inp.knowledge.dosing.oral.start_frequency_per_day
    doses = doses_between(before, allowed, per_day, order.product, inp.knowledge.dosing.deliverable)
    if not doses:
        return None
    current = established_order(inp)
    start = None
    if current is not None and current.authored_on is not None and current is not order:
        earliest = current.authored_on + timedelta(days=titration.interval_days)
        start = earliest if earliest > inp.patient.today else None
    daily = sum(doses)
    direct = daily >= target_daily - _EPSILON and start is None
    words = inp.knowledge.words
    if direct:
        label = words("change_to", doses=doses_text(doses, "mg"), daily=number(daily), why=why)
    else:
        from_date = words("next_step_from", date=start.isoformat()) if start else ""
        label = words(
            "next_step", doses=doses_text(doses, "mg"), daily=number(daily), from_date=from_date
        )
    return UpdateDose(order, doses, label, True, start, raises=True)


def _update(
    inp: RuleInput, target_daily: float, why: str, per_day: int | None
) -> SuggestionSpec | None:
    order = inp.order
    step = max(order.dose.steps, key=lambda s: s.daily or 0)
    frequency = per_day or step.per_day or inp.knowledge.dosing.oral.start_frequency_per_day
    doses = doses_not_above(
        target_daily, frequency, order.product, inp.knowledge.dosing.deliverable
    )
    if not doses:
        return None
    before = established_daily(inp)
    current = established_order(inp)
    if before is not None and current is not None and sum(doses) < before - _max_cut(inp):
        # What the product can give lies further down than the target: still one taper.
        return taper_suggestion(inp, current, before, target_daily, final_per_day=per_day)
    label = inp.knowledge.words(
        "change_to", doses=doses_text(doses, "mg"), daily=number(sum(doses)), why=why
    )
    raises = before is not None and sum(doses) > before + _EPSILON
    return UpdateDose(order, doses, label, recommended=True, raises=raises)


def stepping_note(inp: RuleInput, target_daily: float) -> tuple[str, ...]:
    """Why a correction does not go straight to ``target_daily`` (for the card detail)."""
    target_daily, _ = within_ceiling(inp, target_daily, "")
    before = established_daily(inp)
    if before is None or not inp.is_oral:
        return ()
    dosing = inp.knowledge.dosing
    step_size = (
        dosing.titration.slow_step_daily_mg
        if slow_variant(inp)
        else dosing.titration.max_step_daily_mg
    )
    if target_daily > before + step_size + _EPSILON:
        return (
            inp.knowledge.words(
                "stepping_up",
                before=number(before),
                step=number(step_size),
                interval=dosing.titration.interval_days,
                target=number(target_daily),
            ),
        )
    if target_daily < before - dosing.discontinuation.max_cut_daily_mg - _EPSILON:
        return (
            inp.knowledge.words(
                "stepping_down", before=number(before), target=number(target_daily)
            ),
        )
    return ()


def schedule_for_start_or_increase(inp: RuleInput) -> SuggestionSpec | None:
    """The slow titration (elderly, renal impairment) when the order starts baclofen or raises
    the dose: to the ordered dose, or for a start at or below 15 mg/day to the plan target."""
    order = inp.order
    if inp.chart_opened or not inp.is_oral or order.is_stop:
        return None
    ordered = order.dose.highest_daily
    if ordered is None:
        return None
    if inp.context.is_new_start:
        group = start_group(inp)
        combined = combined_daily(group, "highest_daily") if group else None
        if combined is None:
            return None
        start = inp.knowledge.dosing.oral.start_daily_mg
        plan = inp.knowledge.dosing.titration.plan_target_daily_mg
        return move_to(inp, combined if combined > start else plan, AS_ORDERED)
    before = established_daily(inp)
    if before is not None and ordered > before + _EPSILON:
        return move_to(inp, ordered, AS_ORDERED, increase_as_schedule=True)
    return None
