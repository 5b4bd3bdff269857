"""Intrathecal baclofen: route, dose ceiling, and never an abrupt stop."""

from __future__ import annotations

from collections.abc import Iterator

from service.clinical.dosing.daily_dose import DoseKind, Route
from service.clinical.findings import Finding, IndicatorName
from service.clinical.rules.base import RuleInput, current_daily, is_stop, number, order_facts, rule
from service.clinical.rules.schedule_suggestions import intrathecal_suggestion


@rule("intrathecal-route")
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
        facts=(order_facts(inp.order), ("Route", dose.route_label)),
    )


@rule("intrathecal-dose-high")
def intrathecal_dose_high(inp: RuleInput) -> Iterator[Finding]:
    daily = inp.order.dose.highest_daily
    limits = inp.knowledge.dosing.intrathecal
    if not inp.is_intrathecal or daily is None:
        return
    age = inp.patient.age
    child = age is not None and age.youngest < inp.knowledge.dosing.pediatric.caution_under_age
    warning_above = limits.warning_above_mcg_under_12 if child else limits.warning_above_mcg
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
            order_facts(inp.order),
            ("Usual maintenance", "300-800 mcg/day (children under 12: 100-300)"),
            ("Maximum", f"{number(limits.critical_above_mcg)} mcg/day"),
        ),
    )


@rule("intrathecal-discontinuation", on_stop=True)
def intrathecal_discontinuation(inp: RuleInput) -> Iterator[Finding]:
    current = inp.context.current
    if current is None or current.dose.kind is not DoseKind.INTRATHECAL:
        return
    before = current_daily(current, inp.patient.today)
    facts = (order_facts(current, "Current order"),)
    if is_stop(inp.order):
        schedule = intrathecal_suggestion(inp, current, before) if before else None
        yield Finding(
            "intrathecal-discontinuation",
            "critical",
            inp.order,
            variant="stop",
            suggestions=(schedule,) if schedule else (),
            values={"dose": number(before) if before is not None else "the current"},
            facts=(*facts, ("This order", f"stops intrathecal baclofen ({inp.order.status})")),
        )
        return
    first = inp.order.dose.first_daily
    if before is None or first is None or not inp.is_intrathecal or before <= 0:
        return
    cut = (before - first) / before
    if cut > inp.knowledge.dosing.intrathecal.discontinuation_cut_fraction + 1e-9:
        schedule = intrathecal_suggestion(inp, current, before, first)
        yield Finding(
            "intrathecal-discontinuation",
            "critical",
            inp.order,
            variant="cut",
            suggestions=(schedule,) if schedule else (),
            values={"percent": number(round(cut * 100))},
            facts=(
                *facts,
                order_facts(inp.order, "New order"),
                ("Cut", f"{number(before)} → {number(first)} mcg/day"),
            ),
        )
