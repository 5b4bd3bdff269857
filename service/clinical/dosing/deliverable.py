"""Doses that can actually be given: half tablets of the ordered strength, or measurable volumes.

A suggestion that says "33.3 mg three times daily" cannot be dispensed. Every dose the service
proposes is rounded down (never up: the limits are maxima) to what the product allows.
"""

from __future__ import annotations

import math

from service.clinical.dosing.products import Form, Product

# Measurable oral volume: 0.5 mL with an oral syringe.
LIQUID_STEP_ML = 0.5
# With no known strength (a text-only order in mg), half of the smallest (5 mg) tablet.
UNKNOWN_STEP_MG = 2.5


def dose_step_mg(product: Product) -> float:
    """The smallest increment of an oral dose of this product, in mg."""
    if product.form in (Form.TABLET,) and product.strength_mg:
        return product.strength_mg / 2
    if product.form is Form.GRANULES and product.strength_mg:
        return product.strength_mg
    if product.form is Form.LIQUID and product.concentration_mg_per_ml:
        return product.concentration_mg_per_ml * LIQUID_STEP_ML
    return UNKNOWN_STEP_MG


def round_down(value: float, step: float) -> float:
    """The largest multiple of ``step`` not above ``value`` (tolerant of float noise)."""
    if step <= 0:
        return value
    return round(math.floor(value / step + 1e-9) * step, 6)


def deliverable_per_dose(target_mg: float, product: Product) -> float:
    return round_down(target_mg, dose_step_mg(product))


def regimen_not_above(daily_mg: float, per_day: float, product: Product) -> tuple[float, float]:
    """(per dose, per day) giving at most ``daily_mg``, deliverable with this product.

    The ordered frequency is kept when it gets within 80 % of the target; otherwise (a dose
    step too coarse for it) the nearest frequency between once and four times daily that gets
    closer is used. (0, 1) when nothing deliverable fits.
    """
    step = dose_step_mg(product)
    ordered = max(1, round(per_day))

    def daily_at(times: int) -> float:
        return round_down(daily_mg / times, step) * times

    best = ordered
    if daily_at(ordered) < 0.8 * daily_mg:
        candidates = sorted(range(1, 5), key=lambda t: (abs(t - ordered), t))
        best = max(candidates, key=lambda t: (daily_at(t), -abs(t - ordered)))
    per_dose = round_down(daily_mg / best, step)
    return (per_dose, float(best)) if per_dose > 0 else (0.0, 1.0)


def exact_regimen(daily_mg: float, per_day: float, step: float) -> tuple[float, float] | None:
    """(per dose, per day) giving exactly ``daily_mg`` in multiples of ``step``, or ``None``.

    The ordered frequency is preferred; otherwise two to four administrations a day.
    """
    ordered = max(1, round(per_day))
    for times in sorted({ordered, 2, 3, 4}, key=lambda t: (abs(t - ordered), t)):
        per_dose = daily_mg / times
        if per_dose >= step and abs(round_down(per_dose, step) - per_dose) < 1e-6:
            return round(per_dose, 6), float(times)
    return None


def regimen_between(
    above_mg: float, at_most_mg: float, per_day: float, product: Product
) -> tuple[float, float] | None:
    """The highest deliverable daily dose in (above, at_most], once to four times daily,
    preferring the ordered frequency; ``None`` when the product cannot give one."""
    step = dose_step_mg(product)
    ordered = max(1, round(per_day))
    best: tuple[float, float] | None = None
    for times in sorted(range(1, 5), key=lambda t: (abs(t - ordered), -t)):
        per_dose = round_down(at_most_mg / times, step)
        daily = per_dose * times
        if daily > above_mg + 1e-9 and (best is None or daily > best[0] * best[1] + 1e-9):
            best = (per_dose, float(times))
    return best
