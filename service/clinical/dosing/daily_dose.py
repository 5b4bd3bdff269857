"""The daily dose of an order: mg/day for oral baclofen, mcg/day for intrathecal.

``dosageInstruction`` lines with the same ``sequence`` (or none) run together and add up;
different sequences are consecutive steps, each checked on its own (the catalogue's "Dose
arithmetic"). When a number cannot be worked out the step says why, in words a prescriber
understands, and nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from service.clinical.dosing.frequency import administrations_per_day
from service.clinical.dosing.products import Form, Product
from service.clinical.dosing.units import (
    Unit,
    UnitKind,
    duration_days,
    mass_per_time,
    quantity_value,
    unit_of,
)
from service.clinical.fhir_json import (
    JSON,
    as_dict,
    as_list,
    as_number,
    as_str,
    codings,
    concept_texts,
    dig,
    parse_date,
)
from service.clinical.knowledge import Knowledge
from service.clinical.quantity import is_amount

SNOMED = "http://snomed.info/sct"


class Route(StrEnum):
    ORAL = "oral"
    INTRATHECAL = "intrathecal"
    OTHER = "other"
    UNSTATED = "unstated"


class DoseKind(StrEnum):
    ORAL = "oral"  # mg/day
    INTRATHECAL = "intrathecal"  # mcg/day

    @property
    def unit(self) -> str:
        return "mg" if self is DoseKind.ORAL else "mcg"


@dataclass(frozen=True)
class DoseStep:
    """One step of an order: what is given each day while it lasts."""

    sequence: int | None
    daily: float | None  # mg/day (oral) or mcg/day (intrathecal); None when unknown
    per_dose: float | None = None  # mg or mcg per administration, for a single-line step
    per_day: float | None = None  # administrations per day, for a single-line step
    duration_days: float | None = None
    start: date | None = None
    written_mass_factors: frozenset[float] = field(default_factory=frozenset)
    written_units: tuple[str, ...] = ()
    problem: str | None = None  # why `daily` is unknown
    dose_absent: bool = False  # the order states no dose at all (data-missing, not a unit error)


@dataclass(frozen=True)
class OrderDose:
    kind: DoseKind
    route: Route
    route_label: str
    steps: tuple[DoseStep, ...]

    @property
    def problem(self) -> str | None:
        return next((s.problem for s in self.steps if s.problem), None)

    @property
    def dose_absent(self) -> bool:
        return any(s.dose_absent for s in self.steps)

    @property
    def computable(self) -> bool:
        return bool(self.steps) and all(s.daily is not None for s in self.steps)

    @property
    def daily_values(self) -> list[float]:
        return [s.daily for s in self.steps if s.daily is not None]

    @property
    def highest_daily(self) -> float | None:
        return max(self.daily_values) if self.computable else None

    @property
    def first_daily(self) -> float | None:
        return self.steps[0].daily if self.computable else None

    @property
    def last_daily(self) -> float | None:
        return self.steps[-1].daily if self.computable else None

    @property
    def is_schedule(self) -> bool:
        return len(self.steps) > 1


@dataclass(frozen=True)
class _Line:
    daily: float | None
    per_dose: float | None
    per_day: float | None
    duration_days: float | None
    start: date | None
    mass_factors: frozenset[float]
    units: tuple[str, ...]
    problem: str | None
    dose_absent: bool = False


def route_of(instructions: list[Any], knowledge: Knowledge) -> tuple[Route, str]:
    """The route the order states, and its label for card text."""
    routes = knowledge.medications.routes
    for item in instructions:
        dosage = as_dict(item)
        if dosage is None or dosage.get("route") is None:
            continue
        concept = dosage["route"]
        label = next(iter(concept_texts(concept)), "stated")
        for coding in codings(concept):
            if coding.system == SNOMED and coding.code in routes.intrathecal.snomed:
                return Route.INTRATHECAL, label
            if coding.system == SNOMED and coding.code in routes.oral.snomed:
                return Route.ORAL, label
        joined = " | ".join(concept_texts(concept))
        for route, pattern in knowledge.route_words:
            if pattern.search(joined):
                return Route(route), label
        return Route.OTHER, label
    return Route.UNSTATED, "unstated"


def _in_target_unit(
    amount: float, unit: Unit, kind: DoseKind, product: Product
) -> tuple[float | None, str | None]:
    """An amount converted to mg (oral) or mcg (intrathecal), or the reason it cannot be."""
    scale = 1.0 if kind is DoseKind.ORAL else 1000.0
    if unit.kind is UnitKind.MASS:
        return amount * unit.factor * scale, None
    if unit.kind is UnitKind.VOLUME:
        if product.concentration_mg_per_ml is None:
            return (
                None,
                f"a dose in {unit.written or 'mL'} needs the concentration, which is not stated",
            )
        return amount * unit.factor * product.concentration_mg_per_ml * scale, None
    if product.form in (Form.LIQUID, Form.INTRATHECAL):
        return None, f"a dose in {unit.written or 'units'} makes no sense for a solution"
    if product.strength_mg is None:
        return None, "the tablet strength is not stated"
    return amount * product.strength_mg * scale, None


def _dose_amount(dosage: JSON) -> tuple[Any, Any]:
    """(doseQuantity or doseRange.high, rate) of a Dosage, R4 or STU3 style."""
    dose_and_rates = [d for d in (as_dict(x) for x in as_list(dosage.get("doseAndRate"))) if d]
    ordered = [
        d for d in dose_and_rates if any(c.code == "ordered" for c in codings(d.get("type")))
    ]
    candidates = ordered + dose_and_rates + [dosage]
    dose: Any = None
    rate: Any = None
    for candidate in candidates:
        if dose is None:
            dose = candidate.get("doseQuantity")
            if dose is None:
                dose = dig(candidate, "doseRange", "high")
        if rate is None:
            rate = candidate.get("rateQuantity") or candidate.get("rateRatio")
            if rate is None:
                rate = dig(candidate, "rateRange", "high")
    return dose, rate


def _amount_per_period(
    ratio: JSON, kind: DoseKind, product: Product
) -> tuple[float | None, float, str | None] | None:
    """(amount in mg or mcg, period in days, problem) of a Ratio of an amount to a time;
    ``None`` when its units are not an amount and a time."""
    numerator, denominator = ratio.get("numerator"), ratio.get("denominator")
    amount, unit = quantity_value(numerator), unit_of(numerator)
    period = duration_days(denominator)
    if amount is None or unit is None or period is None or period <= 0:
        return None
    converted, problem = _in_target_unit(amount, unit, kind, product)
    return converted, period, problem


def _rate_daily(rate: Any, kind: DoseKind, product: Product) -> tuple[float | None, str | None]:
    rate_dict = as_dict(rate)
    if rate_dict is None:
        return None, "the rate is not readable"
    if "numerator" in rate_dict:  # a Ratio: amount per time
        parts = _amount_per_period(rate_dict, kind, product)
        if parts is None:
            return None, "the rate's units are not recognised"
        converted, period, problem = parts
        return (converted / period if converted is not None else None), problem
    parsed = mass_per_time(rate_dict)
    amount = quantity_value(rate_dict)
    if parsed is None or amount is None:
        written = as_str(rate_dict.get("unit")) or as_str(rate_dict.get("code")) or "none"
        return None, f"the rate unit '{written}' is not recognised"
    unit, period = parsed
    converted, problem = _in_target_unit(amount, unit, kind, product)
    return (converted / period if converted is not None else None), problem


def _max_per_period(
    ratio: Any, kind: DoseKind, product: Product
) -> tuple[float | None, str | None]:
    ratio_dict = as_dict(ratio)
    if ratio_dict is None:
        return None, None
    parts = _amount_per_period(ratio_dict, kind, product)
    if parts is None:
        return None, "the maximum dose per period is not in a recognised unit"
    converted, period, problem = parts
    if converted is None:
        return None, problem
    # A maximum per week still means at most that much on any one day.
    return (converted / period if period <= 1 else converted), None


def _bounds(timing: Any) -> tuple[float | None, date | None]:
    repeat = as_dict(dig(timing, "repeat"))
    if repeat is None:
        return None, None
    if repeat.get("boundsDuration") is not None:
        return duration_days(repeat.get("boundsDuration")), None
    period = as_dict(repeat.get("boundsPeriod"))
    if period is not None:
        start, end = parse_date(period.get("start")), parse_date(period.get("end"))
        if start is not None and end is not None and end >= start:
            return float((end - start).days), start
        return None, start
    return None, None


def _unreadable(problem: str, *, absent: bool = False, units: tuple[str, ...] = ()) -> _Line:
    return _Line(None, None, None, None, None, frozenset(), units, problem, absent)


def _mass_factors(unit: Unit | None) -> frozenset[float]:
    """The factor to mg of a unit of mass as written, for the unit-confusion checks."""
    return frozenset({unit.factor}) if unit and unit.kind is UnitKind.MASS else frozenset()


def _line(dosage: JSON, kind: DoseKind, product: Product) -> _Line:
    dose, rate = _dose_amount(dosage)
    as_needed = dosage.get("asNeededBoolean") is True or dosage.get("asNeededCodeableConcept")
    if as_needed and dosage.get("maxDosePerPeriod") is not None:
        line = _prn_maximum(dosage, kind, product)
    elif dose is None and rate is not None:
        line = _rate(rate, kind, product)
    else:
        line = _dose(dose, dosage.get("timing"), kind, product)
    # How long a line lasts and from when is the timing's, however its amount was read.
    duration_days, start = _bounds(dosage.get("timing"))
    return replace(line, duration_days=duration_days, start=start)


def _prn_maximum(dosage: JSON, kind: DoseKind, product: Product) -> _Line:
    """As needed: the most that may be taken in a day, whatever the dose and frequency."""
    daily, problem = _max_per_period(dosage.get("maxDosePerPeriod"), kind, product)
    if daily is None:
        return _unreadable(problem or "the maximum dose per period is not readable")
    unit = unit_of(dig(dosage, "maxDosePerPeriod", "numerator"))
    units = (unit.written,) if unit else ()
    return _Line(daily, None, None, None, None, _mass_factors(unit), units, None)


def _rate(rate: Any, kind: DoseKind, product: Product) -> _Line:
    """A continuous rate (a pump): so much per hour or per day."""
    daily, problem = _rate_daily(rate, kind, product)
    if daily is None:
        return _unreadable(problem or "the rate is not readable")
    parsed = mass_per_time(rate) if as_dict(rate) and "numerator" not in rate else None
    factors = _mass_factors(parsed[0] if parsed else None)
    return _Line(daily, None, None, None, None, factors, (), None)


def _dose(dose: Any, timing: Any, kind: DoseKind, product: Product) -> _Line:
    """So much each time, so many times a day."""
    if dose is None:
        return _unreadable("no dose is stated", absent=True)
    amount = quantity_value(dose)
    unit = unit_of(dose)
    if amount is None:
        return _unreadable("the dose has no number", absent=True)
    if unit is None:
        written = as_str(dig(dose, "unit")) or as_str(dig(dose, "code"))
        return _unreadable(
            f"the dose unit '{written}' is not recognised" if written else "the dose has no unit"
        )
    if amount < 0:
        return _unreadable("the dose is negative")
    per_dose, problem = _in_target_unit(amount, unit, kind, product)
    if per_dose is None:
        return _unreadable(problem or "the dose cannot be converted", units=(unit.written,))
    per_day = administrations_per_day(timing)
    if per_day is None:
        return _unreadable("the frequency is not stated", units=(unit.written,))
    factors = _mass_factors(unit)
    return _Line(per_dose * per_day, per_dose, per_day, None, None, factors, (unit.written,), None)


def _finite(line: _Line) -> _Line:
    """A line whose arithmetic overflowed (1e308 mg three times a day), or whose numbers are
    beyond any dose (1e303 mg), is unreadable: every rule compares and quantizes these
    numbers, and infinity or an overflow breaks both."""
    numbers = (line.daily, line.per_dose, line.per_day)
    if all(is_amount(value) for value in numbers):
        return line
    return _Line(
        None, None, None, line.duration_days, line.start, frozenset(), line.units,
        "the dose is too large to be computed",
    )  # fmt: skip


def _sequence(dosage: JSON) -> int | None:
    value = as_number(dosage.get("sequence"))
    return int(value) if value is not None else None


def dose_kind(product: Product, route: Route) -> DoseKind:
    if product.is_intrathecal:
        return DoseKind.INTRATHECAL
    if product.form is Form.UNKNOWN and route is Route.INTRATHECAL:
        return DoseKind.INTRATHECAL
    return DoseKind.ORAL


def order_dose(request: JSON, product: Product, knowledge: Knowledge) -> OrderDose:
    """The dose an order gives, step by step."""
    instructions = [d for d in (as_dict(x) for x in as_list(request.get("dosageInstruction"))) if d]
    route, route_label = route_of(instructions, knowledge)
    kind = dose_kind(product, route)
    if not instructions:
        step = DoseStep(None, None, problem="no dosage instructions", dose_absent=True)
        return OrderDose(kind, route, route_label, (step,))

    groups: dict[int | None, list[_Line]] = {}
    for dosage in instructions:
        groups.setdefault(_sequence(dosage), []).append(_finite(_line(dosage, kind, product)))
    # Lines without a sequence come first; the others in the order of their sequence.
    ordered_keys = sorted(groups, key=lambda key: (key is not None, key or 0))
    steps = tuple(_step(key, groups[key]) for key in ordered_keys)
    return OrderDose(kind, route, route_label, steps)


def _step(sequence: int | None, lines: list[_Line]) -> DoseStep:
    """Lines of the same sequence run together: their daily doses add up."""
    problem = next((line.problem for line in lines if line.problem), None)
    single = lines[0] if len(lines) == 1 else None
    return DoseStep(
        sequence=sequence,
        daily=None if problem else sum(line.daily or 0.0 for line in lines),
        per_dose=single.per_dose if single else None,
        per_day=single.per_day if single else None,
        duration_days=next((x.duration_days for x in lines if x.duration_days), None),
        start=next((x.start for x in lines if x.start), None),
        written_mass_factors=frozenset().union(*(x.mass_factors for x in lines)),
        written_units=tuple(u for x in lines for u in x.units),
        problem=problem,
        dose_absent=any(x.dose_absent for x in lines),
    )
