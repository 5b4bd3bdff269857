"""Changes of dose: starting, raising and stopping oral baclofen."""

from __future__ import annotations

from collections.abc import Iterator

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.facts import BaclofenOrder
from service.clinical.findings import Finding
from service.clinical.limits import oral_ceiling
from service.clinical.rules.base import (
    RuleInput,
    current_daily,
    is_stop,
    number,
    order_facts,
    rule,
)
from service.clinical.rules.corrective import permitted_dose
from service.clinical.rules.schedule_suggestions import (
    long_taper,
    slow_variant,
    taper_suggestion,
    titration_suggestion,
)

_EPSILON = 1e-9


def _established_oral(inp: RuleInput) -> BaclofenOrder | None:
    current = inp.context.current
    if current is None or current.dose.kind is not DoseKind.ORAL or not inp.is_oral:
        return None
    return current


@rule("start-dose-high")
def start_dose_high(inp: RuleInput) -> Iterator[Finding]:
    first = inp.order.dose.first_daily
    start = inp.knowledge.dosing.oral.start_daily_mg
    if not inp.is_oral or not inp.context.is_new_start or is_stop(inp.order):
        return
    if first is None or first <= start + _EPSILON:
        return
    target = inp.order.dose.highest_daily or first
    schedule = titration_suggestion(inp, target, slow=slow_variant(inp))
    yield Finding(
        "start-dose-high",
        "warning",
        inp.order,
        values={"dose": number(first)},
        suggestions=(schedule,) if schedule else (),
        facts=(
            order_facts(inp.order),
            ("Recommended start", f"{number(start)} mg/day (5 mg three times daily)"),
            ("Active baclofen orders", "none: this is a new start"),
        ),
    )


@rule("titration-plan")
def titration_plan(inp: RuleInput) -> Iterator[Finding]:
    first = inp.order.dose.first_daily
    dosing = inp.knowledge.dosing
    if not inp.is_oral or not inp.context.is_new_start or is_stop(inp.order):
        return
    if first is None or first > dosing.oral.start_daily_mg + _EPSILON or inp.order.dose.is_schedule:
        return
    ceiling = oral_ceiling(inp.patient, inp.knowledge)
    if ceiling.daily_mg <= first + _EPSILON:
        return  # nothing to titrate: the limit (renal failure, an infant) is at or below the start
    target = min(dosing.titration.plan_target_daily_mg, ceiling.daily_mg)
    schedule = titration_suggestion(inp, target, slow=slow_variant(inp))
    yield Finding(
        "titration-plan",
        "info",
        inp.order,
        suggestions=(schedule,) if schedule else (),
        values={"dose": number(first), "target": number(target)},
        facts=(
            order_facts(inp.order),
            (
                "Highest permitted for this patient",
                f"{number(ceiling.daily_mg)} mg/day ({ceiling.reason})",
            ),
        ),
        notes=(
            "Further steps follow the clinical effect, usually up to 30-75 mg/day, "
            f"never above {number(ceiling.daily_mg)} mg/day for this patient.",
        ),
    )


@rule("titration-too-fast")
def titration_too_fast(inp: RuleInput) -> Iterator[Finding]:
    current = _established_oral(inp)
    if current is None or is_stop(inp.order):
        return
    titration = inp.knowledge.dosing.titration
    today = inp.patient.today
    before = current_daily(current, today)
    steps = [s.daily for s in inp.order.dose.steps]
    if before is None or any(s is None for s in steps):
        return
    # Each rise: from the current dose to the first step, then between consecutive steps.
    rises: list[tuple[float, int | None]] = []
    # A rise that starts later (boundsPeriod.start) counts from that day, not from today.
    rise_day = inp.order.dose.steps[0].start or today
    since_change = (rise_day - current.authored_on).days if current.authored_on else None
    previous = before
    for index, step in enumerate(inp.order.dose.steps):
        assert step.daily is not None
        days = since_change if index == 0 else _days(inp.order.dose.steps[index - 1].duration_days)
        if step.daily > previous + _EPSILON:
            rises.append((step.daily - previous, days))
        previous = step.daily
    too_large = [r for r in rises if r[0] > titration.max_step_daily_mg + _EPSILON]
    too_soon = [r for r in rises if r[1] is not None and r[1] < titration.interval_days]
    if not too_large and not too_soon:
        return
    increase = max(r[0] for r in rises)
    days_since = min((r[1] for r in too_soon if r[1] is not None), default=since_change)
    variant = (
        "too_large_and_too_soon"
        if too_large and too_soon
        else "too_large"
        if too_large
        else "too_soon"
    )
    ceiling = oral_ceiling(inp.patient, inp.knowledge)
    target = min(inp.order.dose.highest_daily or before, ceiling.daily_mg)
    suggestion = permitted_dose(inp, target, "as ordered") if target > before else None
    yield Finding(
        "titration-too-fast",
        "warning",
        inp.order,
        variant=variant,
        values={
            "increase": number(increase),
            "max_step": number(titration.max_step_daily_mg),
            "days_since_change": str(days_since if days_since is not None else "?"),
            "interval": str(titration.interval_days),
        },
        facts=(
            order_facts(current, "Current order"),
            (
                "Current daily dose",
                f"{number(before)} mg/day"
                + (
                    f", last changed {current.authored_on.isoformat()}"
                    if current.authored_on
                    else ""
                ),
            ),
            order_facts(inp.order, "New order"),
            (
                "Largest rise",
                f"{number(increase)} mg/day (at most {number(titration.max_step_daily_mg)})",
            ),
            *(
                (
                    (
                        "Days since the last change",
                        f"{since_change} (at least {titration.interval_days})",
                    ),
                )
                if since_change is not None
                else ()
            ),
        ),
        suggestions=(suggestion,) if suggestion else (),
    )


def _days(duration: float | None) -> int | None:
    return int(duration) if duration is not None else None


@rule("abrupt-discontinuation", on_stop=True)
def abrupt_discontinuation(inp: RuleInput) -> Iterator[Finding]:
    current = _established_oral(inp)
    if current is None:
        return
    discontinuation = inp.knowledge.dosing.discontinuation
    taper = inp.knowledge.dosing.taper
    before = current_daily(current, inp.patient.today)
    before_text = number(before) if before is not None else "the current"
    facts = (
        order_facts(current, "Current order"),
        *(
            (("Started or last changed", current.authored_on.isoformat()),)
            if current.authored_on
            else ()
        ),
    )
    if is_stop(inp.order):
        long = before is not None and long_taper(inp, before)
        schedule = taper_suggestion(inp, current, before) if before is not None else None
        yield Finding(
            "abrupt-discontinuation",
            "warning",
            inp.order,
            variant="stop",
            values={
                "dose": before_text,
                "min_days": str(taper.min_days_long if long else taper.min_days),
            },
            facts=(*facts, ("This order", f"stops baclofen ({inp.order.status})")),
            suggestions=(schedule,) if schedule else (),
        )
        return
    if before is None:
        return
    previous = before
    for step in inp.order.dose.steps:
        if step.daily is None:
            return
        decrease = previous - step.daily
        if decrease > discontinuation.max_cut_daily_mg + _EPSILON:
            target = inp.order.dose.last_daily or step.daily
            schedule = taper_suggestion(inp, current, before, target)
            yield Finding(
                "abrupt-discontinuation",
                "warning",
                inp.order,
                variant="cut",
                values={
                    "decrease": number(decrease),
                    "max_step": f"{number(discontinuation.max_cut_daily_mg)} mg/day per step",
                },
                facts=(
                    *facts,
                    order_facts(inp.order, "New order"),
                    (
                        "Cut",
                        f"{number(previous)} → {number(step.daily)} mg/day "
                        f"(at most {number(discontinuation.max_cut_daily_mg)} at once)",
                    ),
                ),
                suggestions=(schedule,) if schedule else (),
            )
            return
        previous = step.daily
