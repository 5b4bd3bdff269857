"""How much: the daily maximum, the US label, tablet strength, units, and duplicate orders."""

from __future__ import annotations

from collections.abc import Iterator

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.dosing.products import Form
from service.clinical.findings import Finding
from service.clinical.limits import oral_ceiling
from service.clinical.order_text import order_facts
from service.clinical.rules.base import RuleInput
from service.clinical.suggestions import judged_daily, move_to, stepping_note
from service.clinical.wording import number

_MCG, _G = 0.001, 1000.0


def dose_unverifiable(inp: RuleInput) -> Iterator[Finding]:
    dose = inp.order.dose
    if dose.computable or dose.dose_absent:
        return  # an absent dose is data-missing: the record lacks it
    yield Finding(
        "dose-unverifiable",
        "warning",
        inp.order,
        values={"problem": dose.problem or inp.knowledge.text("dose-unverifiable", "unreadable")},
        facts=(order_facts(inp.order, inp.knowledge),),
        notes=(inp.knowledge.text("dose-unverifiable", "by_hand"),),
    )


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
                    facts=(
                        order_facts(inp.order, inp.knowledge),
                        (inp.knowledge.words("fact_written_unit"), "mg"),
                    ),
                    notes=(
                        inp.knowledge.text(
                            "dose-unit-suspect",
                            "intrathecal_mg",
                            mg=number(daily_mg),
                            mcg=number(step.daily),
                            maximum=number(inp.knowledge.dosing.intrathecal.critical_above_mcg),
                        ),
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
                facts=(
                    order_facts(inp.order, inp.knowledge),
                    (inp.knowledge.words("fact_written_unit"), unit),
                ),
                notes=(
                    inp.knowledge.text(
                        "dose-unit-suspect", "oral", maximum=number(oral.max_daily_mg)
                    ),
                ),
            )
            return


def dose_above_max(inp: RuleInput) -> Iterator[Finding]:
    daily = judged_daily(inp)
    maximum = inp.knowledge.dosing.oral.max_daily_mg
    if not inp.is_oral or daily is None or daily <= maximum:
        return
    ceiling = oral_ceiling(inp.patient, inp.knowledge)
    suggestion = move_to(inp, ceiling.daily_mg, ceiling.reason)
    yield Finding(
        "dose-above-max",
        "critical",
        inp.order,
        values={"dose": number(daily), "limit": number(maximum)},
        facts=(
            order_facts(inp.order, inp.knowledge),
            (inp.knowledge.words("fact_maximum"), f"{number(maximum)} mg/day"),
            (
                inp.knowledge.words("fact_highest_permitted"),
                f"{number(ceiling.daily_mg)} mg/day ({ceiling.reason})",
            ),
        ),
        notes=stepping_note(inp, ceiling.daily_mg) if suggestion else (),
        suggestions=(suggestion,) if suggestion else (),
    )


def dose_above_label(inp: RuleInput) -> Iterator[Finding]:
    daily = judged_daily(inp)
    oral = inp.knowledge.dosing.oral
    if not inp.is_oral or daily is None or not oral.label_max_daily_mg < daily <= oral.max_daily_mg:
        return
    yield Finding(
        "dose-above-label",
        "warning",
        inp.order,
        values={"dose": number(daily), "label_limit": number(oral.label_max_daily_mg)},
        facts=(
            order_facts(inp.order, inp.knowledge),
            (
                inp.knowledge.words("fact_us_label_maximum"),
                f"{number(oral.label_max_daily_mg)} mg/day",
            ),
            (inp.knowledge.words("fact_leaflet_maximum"), f"{number(oral.max_daily_mg)} mg/day"),
        ),
    )


def tablet_strength(inp: RuleInput) -> Iterator[Finding]:
    product = inp.order.product
    rule_data = inp.knowledge.dosing.oral.tablet_strength
    daily = judged_daily(inp)
    if (
        product.form is not Form.TABLET
        or product.strength_mg is None
        or product.strength_mg >= rule_data.preferred_strength_mg
        or daily is None
        or daily < rule_data.from_daily_mg
    ):
        return
    preferred = rule_data.preferred_strength_mg
    yield Finding(
        "tablet-strength",
        "info",
        inp.order,
        values={"dose": number(daily), "strength": number(product.strength_mg)},
        facts=(
            order_facts(inp.order, inp.knowledge),
            (inp.knowledge.words("fact_tablets_per_day"), number(daily / product.strength_mg)),
        ),
        # No one-click switch: 25 mg tablets have no RxNorm code an EHR could apply, and a
        # switch to a lower US strength would not resolve this card.
        notes=(inp.knowledge.text("tablet-strength", "where", strength=number(preferred)),),
    )


__all__ = [
    "dose_above_label",
    "dose_above_max",
    "dose_unit_suspect",
    "dose_unverifiable",
    "tablet_strength",
]
