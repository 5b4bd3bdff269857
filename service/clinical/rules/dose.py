"""How much: the daily maximum, the US label, tablet strength, units, and duplicate orders."""

from __future__ import annotations

from collections.abc import Iterator

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.dosing.deliverable import exact_doses
from service.clinical.dosing.products import Form
from service.clinical.findings import (
    CancelOrder,
    Finding,
    SuggestionSpec,
    SwitchProduct,
)
from service.clinical.limits import oral_ceiling
from service.clinical.rules.base import (
    RuleInput,
    number,
    order_facts,
    rule,
)
from service.clinical.rules.corrective import permitted_dose, stepping_note
from service.clinical.schedules import doses_text

_MCG, _G = 0.001, 1000.0


@rule("dose-unverifiable")
def dose_unverifiable(inp: RuleInput) -> Iterator[Finding]:
    dose = inp.order.dose
    if dose.computable or dose.dose_absent:
        return  # an absent dose is data-missing: the record lacks it
    yield Finding(
        "dose-unverifiable",
        "warning",
        inp.order,
        values={"problem": dose.problem or "the dose is not readable"},
        facts=(order_facts(inp.order),),
        notes=("Check the maximum, titration, renal and paediatric limits by hand.",),
    )


@rule("dose-unit-suspect")
def dose_unit_suspect(inp: RuleInput) -> Iterator[Finding]:
    dose = inp.order.dose
    oral = inp.knowledge.dosing.oral
    for step in dose.steps:
        if step.daily is None:
            continue
        if dose.kind is DoseKind.INTRATHECAL:
            daily_mg = step.daily / 1000
            if (
                1.0 in step.written_mass_factors
                and daily_mg > inp.knowledge.dosing.intrathecal.unit_suspect_mg_above
            ):
                yield Finding(
                    "dose-unit-suspect",
                    "critical",
                    inp.order,
                    variant="intrathecal_mg",
                    values={"dose": number(daily_mg)},
                    facts=(order_facts(inp.order), ("Written unit", "mg")),
                    notes=(
                        f"{number(daily_mg)} mg/day is {number(step.daily)} mcg/day, "
                        "far above the 2000 mcg/day intrathecal maximum.",
                    ),
                )
                return
            continue
        odd_units = step.written_mass_factors & {_MCG, _G}
        if not odd_units:
            continue
        unit = ", ".join(u for u in step.written_units if u) or (
            "mcg" if _MCG in odd_units else "g"
        )
        if step.daily > oral.max_daily_mg or step.daily < oral.unit_suspect_low_mg:
            variant = "oral_high" if step.daily > oral.max_daily_mg else "oral_low"
            yield Finding(
                "dose-unit-suspect",
                "critical",
                inp.order,
                variant=variant,
                values={"dose": number(step.daily), "unit": unit},
                facts=(order_facts(inp.order), ("Written unit", unit)),
                notes=("Oral baclofen is prescribed in mg: 5-100 mg/day.",),
            )
            return


@rule("dose-above-max")
def dose_above_max(inp: RuleInput) -> Iterator[Finding]:
    daily = inp.order.dose.highest_daily
    maximum = inp.knowledge.dosing.oral.max_daily_mg
    if not inp.is_oral or daily is None or daily <= maximum:
        return
    ceiling = oral_ceiling(inp.patient, inp.knowledge)
    suggestion = permitted_dose(inp, ceiling.daily_mg, ceiling.reason)
    yield Finding(
        "dose-above-max",
        "critical",
        inp.order,
        values={"dose": number(daily), "limit": number(maximum)},
        facts=(
            order_facts(inp.order),
            ("Maximum", f"{number(maximum)} mg/day"),
            (
                "Highest permitted for this patient",
                f"{number(ceiling.daily_mg)} mg/day ({ceiling.reason})",
            ),
        ),
        notes=stepping_note(inp, ceiling.daily_mg) if suggestion else (),
        suggestions=(suggestion,) if suggestion else (),
    )


@rule("dose-above-label")
def dose_above_label(inp: RuleInput) -> Iterator[Finding]:
    daily = inp.order.dose.highest_daily
    oral = inp.knowledge.dosing.oral
    if not inp.is_oral or daily is None or not oral.label_max_daily_mg < daily <= oral.max_daily_mg:
        return
    yield Finding(
        "dose-above-label",
        "warning",
        inp.order,
        values={"dose": number(daily), "label_limit": number(oral.label_max_daily_mg)},
        facts=(
            order_facts(inp.order),
            ("US label maximum", f"{number(oral.label_max_daily_mg)} mg/day"),
            ("Leaflet maximum", f"{number(oral.max_daily_mg)} mg/day"),
        ),
    )


@rule("tablet-strength")
def tablet_strength(inp: RuleInput) -> Iterator[Finding]:
    product = inp.order.product
    rule_data = inp.knowledge.dosing.oral.tablet_strength
    daily = inp.order.dose.highest_daily
    if (
        product.form is not Form.TABLET
        or product.strength_mg is None
        or product.strength_mg >= rule_data.preferred_strength_mg
        or daily is None
        or daily < rule_data.from_daily_mg
    ):
        return
    preferred = rule_data.preferred_strength_mg
    suggestions: tuple[SuggestionSpec, ...] = ()
    step = inp.order.dose.steps[-1]
    if step.per_day and len(inp.order.dose.steps) == 1:
        # Only offered when the same daily dose can be given in half 25 mg tablets: a switch
        # that quietly changed the dose would be a second decision hidden in the first.
        doses = exact_doses(daily, step.per_day, preferred / 2)
        if doses:
            label = (
                f"Switch to {number(preferred)} mg tablets: {doses_text(doses, 'mg')} "
                f"({number(sum(doses))} mg/day)"
            )
            product_text = f"baclofen {number(preferred)} mg oral tablet"
            suggestions = (SwitchProduct(inp.order, product_text, doses, label),)
    yield Finding(
        "tablet-strength",
        "info",
        inp.order,
        values={"dose": number(daily), "strength": number(product.strength_mg)},
        facts=(
            order_facts(inp.order),
            ("Tablets per day", number(daily / product.strength_mg)),
        ),
        notes=("25 mg tablets are available outside the US (Baklosan, Lioresal 25 mg).",),
        suggestions=suggestions,
    )


@rule("duplicate-therapy")
def duplicate_therapy(inp: RuleInput) -> Iterator[Finding]:
    context = inp.context
    if inp.patient_view:
        # Fire once per pair: on the later of two active orders.
        others = list(context.sibling_drafts)
    else:
        others = list(context.remaining) + list(context.sibling_drafts)
    if not others:
        return
    order = inp.order
    same_kind = [o for o in others if o.dose.kind is order.dose.kind]
    total = sum(o.dose.highest_daily or 0 for o in same_kind) + (order.dose.highest_daily or 0)
    unit = order.dose.kind.unit
    first = others[0]
    since = f", since {first.authored_on.isoformat()}" if first.authored_on else ""
    suggestions = tuple(
        CancelOrder(
            other,
            f"Stop the other baclofen order ({other.product.label}, {other.daily_text})"
            if not other.is_draft
            else f"Remove the other baclofen draft ({other.product.label}, {other.daily_text})",
        )
        for other in others
    )
    yield Finding(
        "duplicate-therapy",
        "warning",
        order,
        values={"other": f"{first.daily_text}{since}", "total": f"{number(total)} {unit}/day"},
        facts=(
            order_facts(order, "This order"),
            *(order_facts(o, "Also active" if not o.is_draft else "Also ordered") for o in others),
            ("Combined", f"{number(total)} {unit}/day"),
        ),
        notes=("Add the older order as priorPrescription if this order replaces it, or stop it.",),
        suggestions=suggestions,
    )


__all__ = [
    "dose_above_label",
    "dose_above_max",
    "dose_unit_suspect",
    "dose_unverifiable",
    "duplicate_therapy",
    "tablet_strength",
]
