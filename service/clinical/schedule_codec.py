"""A schedule as URL query parameters, and back: for the printable schedule page.

Only the schedule travels: kind, unit, the product's name and strength, a start date, and the
steps (doses of a day and number of days). Never a patient identifier.

    kind=taper&unit=mg&product=baclofen+10+MG+Oral+Tablet&start=2026-11-23&s=10,10,5:3&s=10,10:4
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from service.clinical.dosing.products import Form, Product
from service.clinical.schedules import Schedule, ScheduleKind, Step
from service.clinical.wording import number

MAX_STEPS = 60
MAX_DAYS_PER_STEP = 366


class ScheduleCodecError(ValueError):
    """The parameters do not describe a schedule."""


def encode(schedule: Schedule, start: dt.date) -> str:
    params: list[tuple[str, str]] = [
        ("kind", schedule.kind.value),
        ("unit", schedule.unit),
        ("product", schedule.product.label),
        ("start", start.isoformat()),
    ]
    if schedule.product.strength_mg:
        params.append(("strength", number(schedule.product.strength_mg)))
    elif schedule.product.concentration_mg_per_ml:
        params.append(("concentration", number(schedule.product.concentration_mg_per_ml)))
    for step in schedule.steps:
        doses = ",".join(number(d) for d in step.doses)
        params.append(("s", f"{doses}:{step.days if step.days is not None else ''}"))
    return urlencode(params)


def decode(params: Mapping[str, str], steps: Sequence[str]) -> tuple[Schedule, dt.date]:
    try:
        kind = ScheduleKind(params.get("kind", ""))
    except ValueError:
        raise ScheduleCodecError("kind must be titration, taper or intrathecal-reduction") from None
    unit = params.get("unit", "")
    if unit not in ("mg", "mcg"):
        raise ScheduleCodecError("unit must be mg or mcg")
    try:
        start = dt.date.fromisoformat(params.get("start", ""))
    except ValueError:
        raise ScheduleCodecError("start must be a date (YYYY-MM-DD)") from None
    label = params.get("product", "baclofen")[:120]
    if not steps or len(steps) > MAX_STEPS:
        raise ScheduleCodecError(f"give between 1 and {MAX_STEPS} steps (s=doses:days)")
    parsed = []
    for index, raw in enumerate(steps):
        doses_text, separator, days_text = raw.partition(":")
        try:
            doses = tuple(float(d) for d in doses_text.split(","))
            days = int(days_text) if days_text else None
        except ValueError:
            raise ScheduleCodecError(f"step {index + 1} is not doses:days") from None
        if not separator or not doses or len(doses) > 6 or any(not 0 < d <= 100000 for d in doses):
            raise ScheduleCodecError(f"step {index + 1} is not doses:days")
        if days is not None and not 1 <= days <= MAX_DAYS_PER_STEP:
            raise ScheduleCodecError(f"step {index + 1}: days must be 1-{MAX_DAYS_PER_STEP}")
        if days is None and index != len(steps) - 1:
            raise ScheduleCodecError("only the last step may be open-ended")
        parsed.append(Step(doses, days))
    strength = _positive(params.get("strength"), "strength")
    concentration = _positive(params.get("concentration"), "concentration")
    if unit == "mcg":
        form = Form.INTRATHECAL
    else:
        form = Form.TABLET if strength else Form.LIQUID if concentration else Form.UNKNOWN
    product = Product(form, label, strength_mg=strength, concentration_mg_per_ml=concentration)
    return Schedule(kind, unit, tuple(parsed), product), start


def _positive(text: str | None, name: str) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ScheduleCodecError(f"{name} must be a number") from None
    if not 0 < value <= 1000:
        raise ScheduleCodecError(f"{name} must be between 0 and 1000")
    return value
