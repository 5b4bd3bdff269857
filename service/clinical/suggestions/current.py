"""The one place that decides the current dose of an established patient.

Order-sign and patient-view alike: the established order of the order's route (the one it
continues or changes; in patient-view, the active order itself) gives the dose the patient
takes today. Every correction starts from it, so none can restart an established patient at
a starting dose or cut the dose at once.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.facts import BaclofenOrder
from service.clinical.quantity import amount
from service.clinical.rule_input import RuleInput


def remaining_daily(order: BaclofenOrder, today: date) -> list[float] | None:
    """The daily doses of the order's steps from the one covering today on (all of them for
    an order not yet started), or None when a dose cannot be read."""
    steps = order.dose.steps
    if not order.dose.computable:
        return None
    values = [amount(step.daily or 0.0) for step in steps]
    if len(steps) == 1:
        return values
    start = steps[0].start or order.authored_on
    if start is None:
        return values[-1:]
    elapsed = (today - start).days
    for index, step in enumerate(steps):
        if step.duration_days is None or elapsed < step.duration_days:
            return values[index:]
        elapsed -= int(step.duration_days)
    return values[-1:]


def current_daily(order: BaclofenOrder, today: date) -> float | None:
    """The daily dose an active order gives today (the step covering today for a schedule)."""
    remaining = remaining_daily(order, today)
    return remaining[0] if remaining else None


def established_order(inp: RuleInput) -> BaclofenOrder | None:
    """The established order of the same route that this order continues or changes (for a
    stop, the order it stops, whatever route the stop itself seems to name)."""
    current = inp.context.current
    if current is None:
        return None
    if inp.order.is_stop or current.route is inp.order.route:
        return current
    return None


def route_changed(inp: RuleInput) -> DoseKind:
    """The route of the therapy this order changes: a stop changes the therapy it stops."""
    current = established_order(inp)
    return current.route if current is not None and inp.order.is_stop else inp.order.route


def established_daily(inp: RuleInput) -> float | None:
    """The daily dose the patient takes today on the therapy this order continues or changes
    (None for a new start, an unknown history, or a current order whose dose is unreadable)."""
    current = established_order(inp)
    return current_daily(current, inp.patient.today) if current is not None else None


def judged_daily(inp: RuleInput) -> float | None:
    """The daily dose the limits judge: the highest step of the order, except for a taper
    down from the patient's current dose, which is judged by where it arrives.

    A taper from 120 mg/day to the 100 mg/day maximum passes through 105 mg/day: that is
    the safe way down, not a dose above the maximum (and judging it so would fire the very
    card whose suggestion it is).
    """
    order = inp.order
    if inp.context.current is order:  # patient-view: what is left of the active order
        values = remaining_daily(order, inp.patient.today)
    else:
        values = [amount(v) for v in order.dose.daily_values] if order.dose.computable else None
    if not values:
        return None
    before = established_daily(inp)
    descending = all(later <= earlier for earlier, later in pairwise(values))
    if len(values) > 1 and descending and before is not None and values[0] <= before:
        return values[-1]
    return max(values)
