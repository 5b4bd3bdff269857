"""Intrathecal baclofen: route, dose ceiling, and never an abrupt stop."""

from __future__ import annotations

from collections.abc import Iterator

from service.clinical.dosing.daily_dose import DoseKind, Route
from service.clinical.findings import Finding, IndicatorName
from service.clinical.order_text import order_facts
from service.clinical.quantity import amount
from service.clinical.rules.base import RuleInput
from service.clinical.suggestions import (
    established_daily,
    established_order,
    judged_daily,
    move_to,
    route_changed,
)
from service.clinical.wording import number


def intrathecal_route(inp: RuleInput) -> Iterator[Finding]:
    product, dose = inp.order.product, inp.order.dose
    if product.is_intrathecal and dose.route in (Route.ORAL, Route.OTHER):
        variant = "intrathecal_product"
    elif product.form.is_oral and dose.route is Route.INTRATHECAL:
        variant = "oral_product"
    else:
        return
    yield Finding(
        "intrathecal-route",
        "critical",
        inp.order,
        variant=variant,
        values={"route": dose.route_label.lower().removesuffix(" route").strip() or "stated"},
        facts=(
            order_facts(inp.order, inp.knowledge),
            (inp.knowledge.words("fact_route"), dose.route_label),
        ),
    )


def intrathecal_dose_high(inp: RuleInput) -> Iterator[Finding]:
    daily = judged_daily(inp)
    limits = inp.knowledge.dosing.intrathecal
    if not inp.is_intrathecal or daily is None:
        return
    age = inp.patient.age
    child = age is not None and age.youngest < inp.knowledge.dosing.pediatric.caution_under_age
    warning_above = limits.warning_above_mcg_under_12 if child else limits.warning_above_mcg
    usual = limits.maintenance_mcg_under_12 if child else limits.maintenance_mcg
    usual_text = inp.knowledge.text(
        "intrathecal-dose-high",
        "usual_child" if child else "usual",
        low=number(usual.low),
        high=number(usual.high),
    )
    indicator: IndicatorName
    if daily > limits.critical_above_mcg:
        indicator, limit = "critical", limits.critical_above_mcg
    elif daily > warning_above:
        indicator, limit = "warning", warning_above
    else:
        return
    yield Finding(
        "intrathecal-dose-high",
        indicator,
        inp.order,
        values={"dose": number(daily), "limit": number(limit)},
        facts=(
            order_facts(inp.order, inp.knowledge),
            (inp.knowledge.words("fact_usual_maintenance"), usual_text),
            (inp.knowledge.words("fact_maximum"), f"{number(limits.critical_above_mcg)} mcg/day"),
        ),
    )


def intrathecal_discontinuation(inp: RuleInput) -> Iterator[Finding]:
    current = established_order(inp)
    if current is None or route_changed(inp) is not DoseKind.INTRATHECAL:
        return
    before = established_daily(inp)
    facts = (order_facts(current, inp.knowledge, inp.knowledge.words("fact_current_order")),)
    stop_note = inp.knowledge.text(
        "intrathecal-discontinuation",
        "stop_under_supervision",
        floor=number(inp.knowledge.dosing.intrathecal.reduction.stop_at_or_below_mcg),
    )
    if inp.order.is_stop:
        schedule = move_to(inp, 0.0, "why_stop") if before else None
        yield Finding(
            "intrathecal-discontinuation",
            "critical",
            inp.order,
            variant="stop",
            suggestions=(schedule,) if schedule else (),
            values={
                "dose": number(before)
                if before is not None
                else inp.knowledge.words("dose_current")
            },
            facts=(
                *facts,
                (
                    inp.knowledge.words("fact_this_order"),
                    inp.knowledge.text(
                        "intrathecal-discontinuation", "stops", status=inp.order.status
                    ),
                ),
            ),
            notes=(stop_note,),
        )
        return
    if before is None or before <= 0 or not inp.order.dose.computable:
        return
    # Every step of the order, each against the one before it: a schedule that holds the dose
    # for a day and then drops it is as abrupt as a first step that does.
    first, cut = _largest_cut(before, inp.order.dose.daily_values)
    if cut > inp.knowledge.dosing.intrathecal.discontinuation_cut_fraction:
        schedule = move_to(inp, first, "why_ordered_dose")
        yield Finding(
            "intrathecal-discontinuation",
            "critical",
            inp.order,
            variant="cut",
            suggestions=(schedule,) if schedule else (),
            values={"percent": number(round(cut * 100))},
            facts=(
                *facts,
                order_facts(inp.order, inp.knowledge, inp.knowledge.words("fact_new_order")),
                (inp.knowledge.words("fact_cut"), f"{number(before)} → {number(first)} mcg/day"),
            ),
        )


def _largest_cut(before: float, dailies: list[float]) -> tuple[float, float]:
    """The step after the largest relative cut (as a fraction), with that cut."""
    worst_step, worst_cut, previous = dailies[0], 0.0, before
    for daily in dailies:
        cut = amount((previous - daily) / previous) if previous > 0 else 0.0
        if cut > worst_cut:
            worst_step, worst_cut = daily, cut
        previous = daily
    return worst_step, worst_cut
