"""Changes of dose: starting, raising and stopping oral baclofen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.dosing.deliverable import regimen_not_above
from service.clinical.facts import BaclofenOrder
from service.clinical.findings import Finding, SuggestionSpec, UpdateDose
from service.clinical.limits import oral_ceiling
from service.clinical.rules.base import RuleInput, frequency_text, number, order_facts, rule

_EPSILON = 1e-9


def current_daily(order: BaclofenOrder, today: date) -> float | None:
    """The daily dose an active order gives today (the step covering today for a schedule)."""
    steps = order.dose.steps
    if not order.dose.computable:
        return None
    if len(steps) == 1:
        return steps[0].daily
    start = steps[0].start or order.authored_on
    if start is None:
        return steps[-1].daily
    elapsed = (today - start).days
    for step in steps:
        if step.duration_days is None or elapsed < step.duration_days:
            return step.daily
        elapsed -= int(step.duration_days)
    return steps[-1].daily


def is_stop(order: BaclofenOrder) -> bool:
    return order.status in ("stopped", "cancelled")


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
    yield Finding(
        "start-dose-high",
        "warning",
        inp.order,
        values={"dose": number(first)},
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
    yield Finding(
        "titration-plan",
        "info",
        inp.order,
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
    since_change = (today - current.authored_on).days if current.authored_on else None
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
    next_daily = min(before + titration.max_step_daily_mg, ceiling.daily_mg)
    suggestions: tuple[SuggestionSpec, ...] = ()
    first = inp.order.dose.steps[0]
    if first.per_day and next_daily > before + _EPSILON:
        per_dose, per_day = regimen_not_above(next_daily, first.per_day, inp.order.product)
        if per_dose * per_day > before + _EPSILON:
            wait_until = (
                current.authored_on + timedelta(days=titration.interval_days)
                if current.authored_on is not None
                else None
            )
            start = wait_until if wait_until is not None and wait_until > today else None
            label = (
                f"Change to the next step: {number(per_dose)} mg {frequency_text(per_day)} "
                f"({number(per_dose * per_day)} mg/day)"
                + (f" from {start.isoformat()}" if start else "")
            )
            suggestions = (UpdateDose(inp.order, per_dose, per_day, label, True, start),)
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
        suggestions=suggestions,
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
        yield Finding(
            "abrupt-discontinuation",
            "warning",
            inp.order,
            variant="stop",
            values={"dose": before_text, "min_days": str(taper.min_days)},
            facts=(*facts, ("This order", f"stops baclofen ({inp.order.status})")),
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
            )
            return
        previous = step.daily
