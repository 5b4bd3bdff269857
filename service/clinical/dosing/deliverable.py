"""Doses that can actually be given: half tablets of the ordered strength, or measurable volumes.

A suggestion that says "33.3 mg three times daily" cannot be dispensed. Every dose the service
proposes is rounded down (never up: the limits are maxima) to what the product allows; the
smallest measurable amounts are knowledge (dosing.yaml ``deliverable``).
"""

from __future__ import annotations

from service.clinical.dosing.products import Form, Product
from service.clinical.knowledge.schema import Deliverable
from service.clinical.quantity import amount, amount_sum, steps_of, whole_steps_in


def dose_step_mg(product: Product, steps: Deliverable) -> float:
    """The smallest increment of an oral dose of this product, in mg."""
    if product.form in (Form.TABLET,) and product.strength_mg:
        return product.strength_mg * steps.tablet_fraction
    if product.form is Form.GRANULES and product.strength_mg:
        return product.strength_mg
    if product.form is Form.LIQUID and product.concentration_mg_per_ml:
        return product.concentration_mg_per_ml * steps.liquid_ml
    return steps.unknown_strength_mg


def round_down(value: float, step: float) -> float:
    """The largest multiple of ``step`` not above ``value``."""
    if amount(step) <= 0:
        return value
    return steps_of(whole_steps_in(value, step), step)


def split_daily(daily: float, unit_step: float, preferred_per_day: int = 3) -> tuple[float, ...]:
    """``daily`` as up to ``preferred_per_day`` doses, each a multiple of ``unit_step``.

    The doses are as even as the step allows, larger first: 25 mg in 5 mg steps over three
    doses is (10, 10, 5). Fewer doses are used when a dose would be smaller than one step.
    """
    units = round(daily / unit_step)
    per_day = max(1, min(preferred_per_day, units))
    base, extra = divmod(units, per_day)
    return tuple(steps_of(base + (1 if i < extra else 0), unit_step) for i in range(per_day))


def doses_not_above(
    daily_mg: float, per_day: float, product: Product, steps: Deliverable
) -> tuple[float, ...]:
    """The doses of a day giving at most ``daily_mg`` with this product (empty if none)."""
    step = dose_step_mg(product, steps)
    daily = round_down(daily_mg, step)
    per_day_at_most = max(1, min(steps.max_doses_per_day, round(per_day)))
    return split_daily(daily, step, per_day_at_most) if daily > 0 else ()


def doses_between(
    above_mg: float, at_most_mg: float, per_day: float, product: Product, steps: Deliverable
) -> tuple[float, ...]:
    """The doses of a day giving more than ``above_mg`` and at most ``at_most_mg``, or ()."""
    doses = doses_not_above(at_most_mg, per_day, product, steps)
    return doses if amount_sum(doses) > amount(above_mg) else ()
