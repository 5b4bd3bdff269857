"""Changes of dose: starting, raising and stopping oral baclofen."""

from __future__ import annotations

from collections.abc import Iterator

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.dosing.pace import Pace, rises
from service.clinical.dosing.totals import combined_daily
from service.clinical.facts import BaclofenOrder
from service.clinical.findings import Finding, SuggestionSpec
from service.clinical.knowledge import Knowledge
from service.clinical.limits import oral_ceiling
from service.clinical.order_text import order_facts
from service.clinical.quantity import amount
from service.clinical.rules.base import RuleInput
from service.clinical.suggestions import (
    AS_ORDERED,
    established_daily,
    established_order,
    long_taper,
    move_to,
    route_changed,
    start_group,
    within_ceiling,
)
from service.clinical.wording import frequency_text, number


def _start_doses(inp: RuleInput) -> str:
    oral = inp.knowledge.dosing.oral
    return f"{number(oral.start_dose_mg)} mg {frequency_text(oral.start_frequency_per_day)}"


def _group_facts(
    group: tuple[BaclofenOrder, ...], knowledge: Knowledge
) -> tuple[tuple[str, str], ...]:
    if len(group) == 1:
        return (order_facts(group[0], knowledge),)
    return tuple(
        order_facts(order, knowledge, knowledge.words("fact_new_order_number", number=i + 1))
        for i, order in enumerate(group)
    )


def start_dose_high(inp: RuleInput) -> Iterator[Finding]:
    group = start_group(inp)
    if group is None:
        return
    first = combined_daily(group, "first_daily")
    start = inp.knowledge.dosing.oral.start_daily_mg
    if first is None or first <= start:
        return
    target = combined_daily(group, "highest_daily") or first
    schedule = move_to(inp, target, AS_ORDERED)
    yield Finding(
        "start-dose-high",
        "warning",
        inp.order,
        values={"dose": number(first)},
        suggestions=(schedule,) if schedule else (),
        facts=(
            *_group_facts(group, inp.knowledge),
            *(
                ((inp.knowledge.words("fact_together"), f"{number(first)} mg/day"),)
                if len(group) > 1
                else ()
            ),
            (
                inp.knowledge.words("fact_recommended_start"),
                f"{number(start)} mg/day ({_start_doses(inp)})",
            ),
            (
                inp.knowledge.words("fact_active_baclofen_orders"),
                inp.knowledge.words("fact_new_start"),
            ),
        ),
    )


def titration_plan(inp: RuleInput) -> Iterator[Finding]:
    group = start_group(inp)
    if group is None:
        return
    dosing = inp.knowledge.dosing
    first = combined_daily(group, "first_daily")
    if first is None or first > dosing.oral.start_daily_mg:
        return
    if any(order.dose.is_schedule for order in group):
        return
    ceiling = oral_ceiling(inp.patient, inp.knowledge)
    if ceiling.daily_mg <= first:
        return  # nothing to titrate: the limit (renal failure, an infant) is at or below the start
    target = min(dosing.titration.plan_target_daily_mg, ceiling.daily_mg)
    schedule = move_to(inp, target, "why_plan_target")
    yield Finding(
        "titration-plan",
        "info",
        inp.order,
        suggestions=(schedule,) if schedule else (),
        values={"dose": number(first), "target": number(target)},
        facts=(
            *_group_facts(group, inp.knowledge),
            (
                inp.knowledge.words("fact_highest_permitted"),
                f"{number(ceiling.daily_mg)} mg/day ({ceiling.reason})",
            ),
        ),
        notes=(
            inp.knowledge.text(
                "titration-plan",
                "further_steps",
                low=number(dosing.titration.plan_target_daily_mg),
                high=number(dosing.titration.usual_max_daily_mg),
                ceiling=number(ceiling.daily_mg),
            ),
        ),
    )


def titration_too_fast(inp: RuleInput) -> Iterator[Finding]:
    """When an established oral dose rises by more than a titration step at once, or sooner
    than the titration interval after the last change; then a move to the ordered dose the
    way titration allows."""
    current, before = established_order(inp), established_daily(inp)
    if current is None or before is None or not inp.is_oral or not inp.order.dose.computable:
        return
    titration = inp.knowledge.dosing.titration
    since_change = _days_since_change(inp, current)
    pace = Pace(
        rises(before, inp.order.dose.steps, since_change),
        titration.max_step_daily_mg,
        titration.interval_days,
    )
    if not pace.too_fast:
        return
    days_since = pace.days_since_change(since_change)
    yield Finding(
        "titration-too-fast",
        "warning",
        inp.order,
        variant="_and_".join(
            name
            for name, hit in (("too_large", pace.too_large), ("too_soon", pace.too_soon))
            if hit
        ),
        values={
            "increase": number(pace.largest),
            "max_step": number(titration.max_step_daily_mg),
            "days_since_change": str(days_since if days_since is not None else "?"),
            "interval": str(titration.interval_days),
        },
        facts=_too_fast_facts(inp, current, before, pace, since_change),
        suggestions=_towards_ordered(inp, before),
    )


def _days_since_change(inp: RuleInput, current: BaclofenOrder) -> int | None:
    """Days from the last change of ``current`` to the first rise; a rise that starts later
    (boundsPeriod.start) counts from that day, not from today."""
    if current.authored_on is None:
        return None
    rise_day = inp.order.dose.steps[0].start or inp.patient.today
    return (rise_day - current.authored_on).days


def _towards_ordered(inp: RuleInput, before: float) -> tuple[SuggestionSpec, ...]:
    """The ordered dose (within the patient's ceiling), reached the way titration allows."""
    ordered = inp.order.dose.highest_daily or before
    target, _ = within_ceiling(inp, ordered, AS_ORDERED)
    suggestion = move_to(inp, target, AS_ORDERED) if target > before else None
    return (suggestion,) if suggestion else ()


def _too_fast_facts(
    inp: RuleInput, current: BaclofenOrder, before: float, pace: Pace, since_change: int | None
) -> tuple[tuple[str, str], ...]:
    words, titration = inp.knowledge.words, inp.knowledge.dosing.titration
    changed = (
        words("value_last_changed", date=current.authored_on.isoformat())
        if current.authored_on
        else ""
    )
    facts = [
        order_facts(current, inp.knowledge, words("fact_current_order")),
        (words("fact_current_daily_dose"), f"{number(before)} mg/day{changed}"),
        order_facts(inp.order, inp.knowledge, words("fact_new_order")),
        (
            words("fact_largest_rise"),
            words(
                "value_at_most",
                value=f"{number(pace.largest)} mg/day",
                limit=number(titration.max_step_daily_mg),
            ),
        ),
    ]
    if since_change is not None:
        facts.append(
            (
                words("fact_days_since_the_last_change"),
                words("value_at_least", value=since_change, limit=titration.interval_days),
            )
        )
    return tuple(facts)


def _short_course(inp: RuleInput, before: float | None) -> bool:
    """Therapy begun less than 14 days ago (the earliest authoredOn of the patient's baclofen
    orders) at 30 mg/day or less."""
    limits = inp.knowledge.dosing.discontinuation
    started = [o.authored_on for o in inp.patient.active_baclofen if o.authored_on is not None]
    if before is None or not started or before > limits.short_course_max_daily_mg:
        return False
    return (inp.patient.today - min(started)).days < limits.short_course_days


def abrupt_discontinuation(inp: RuleInput) -> Iterator[Finding]:
    current = established_order(inp)
    if current is None or route_changed(inp) is not DoseKind.ORAL:
        return
    discontinuation = inp.knowledge.dosing.discontinuation
    taper = inp.knowledge.dosing.taper
    before = established_daily(inp)
    before_text = number(before) if before is not None else inp.knowledge.words("dose_current")
    facts = (
        order_facts(current, inp.knowledge, inp.knowledge.words("fact_current_order")),
        *(
            (
                (
                    inp.knowledge.words("fact_started_or_last_changed"),
                    current.authored_on.isoformat(),
                ),
            )
            if current.authored_on
            else ()
        ),
    )
    if _short_course(inp, before):
        return  # begun days ago at a low dose: it ends without withdrawal
    if inp.order.is_stop:
        long = before is not None and long_taper(inp, before)
        schedule = move_to(inp, 0.0, "why_stop") if before is not None else None
        yield Finding(
            "abrupt-discontinuation",
            "warning",
            inp.order,
            variant="stop",
            values={
                "dose": before_text,
                "min_days": str(taper.min_days_long if long else taper.min_days),
            },
            facts=(
                *facts,
                (
                    inp.knowledge.words("fact_this_order"),
                    inp.knowledge.text("abrupt-discontinuation", "stops", status=inp.order.status),
                ),
            ),
            suggestions=(schedule,) if schedule else (),
        )
        return
    if before is None:
        return
    previous = before
    for step in inp.order.dose.steps:
        if step.daily is None:
            return
        decrease = amount(previous - step.daily)
        if decrease > discontinuation.max_cut_daily_mg:
            target = inp.order.dose.last_daily or step.daily
            schedule = move_to(inp, target, "why_ordered_dose")
            yield Finding(
                "abrupt-discontinuation",
                "warning",
                inp.order,
                variant="cut",
                values={
                    "decrease": number(decrease),
                    "max_step": inp.knowledge.words(
                        "value_per_step", dose=number(discontinuation.max_cut_daily_mg)
                    ),
                },
                facts=(
                    *facts,
                    order_facts(inp.order, inp.knowledge, inp.knowledge.words("fact_new_order")),
                    (
                        inp.knowledge.words("fact_cut"),
                        inp.knowledge.words(
                            "value_cut_at_once",
                            before=number(previous),
                            after=number(step.daily),
                            limit=number(discontinuation.max_cut_daily_mg),
                        ),
                    ),
                ),
                suggestions=(schedule,) if schedule else (),
            )
            return
        previous = step.daily
