"""Units of a written dose: mass, volume, count of dose units, and time.

UCUM codes are preferred; the human ``unit`` text is the fallback, because EHRs send both and
sometimes only the latter ("mcg", "tab", "tablet(s)").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from service.clinical.fhir_json import as_dict, as_number, as_str


class UnitKind(StrEnum):
    MASS = "mass"  # converts to mg
    VOLUME = "volume"  # converts to mL
    COUNT = "count"  # tablets, capsules, packets: needs a strength


@dataclass(frozen=True)
class Unit:
    kind: UnitKind
    factor: float  # to mg (mass), to mL (volume), 1 for a count
    written: str  # as the order wrote it, for card text


_MASS_TO_MG = {
    "mg": 1.0,
    "milligram": 1.0,
    "milligrams": 1.0,
    "ug": 0.001,
    "mcg": 0.001,
    "µg": 0.001,
    "μg": 0.001,
    "microgram": 0.001,
    "micrograms": 0.001,
    "g": 1000.0,
    "gram": 1000.0,
    "grams": 1000.0,
    "gm": 1000.0,
    "ng": 0.000001,
}

_VOLUME_TO_ML = {
    "ml": 1.0,
    "milliliter": 1.0,
    "milliliters": 1.0,
    "millilitre": 1.0,
    "millilitres": 1.0,
    "cc": 1.0,
    "l": 1000.0,
    "ul": 0.001,
}

_COUNT_WORDS = {
    "tablet",
    "tablets",
    "tab",
    "tabs",
    "tbl",
    "tablet(s)",
    "pill",
    "pills",
    "capsule",
    "capsules",
    "cap",
    "caps",
    "packet",
    "packets",
    "sachet",
    "sachets",
    "each",
    "ea",
    "dose",
    "doses",
    "unit of presentation",
}

# SNOMED CT "unit of presentation" concepts EHRs put in doseQuantity.code.
_COUNT_SNOMED = {"732936001", "732937005", "385055001", "428673006", "733020007"}

_TIME_TO_DAYS = {
    "s": 1 / 86400,
    "sec": 1 / 86400,
    "min": 1 / 1440,
    "h": 1 / 24,
    "hr": 1 / 24,
    "hour": 1 / 24,
    "hours": 1 / 24,
    "d": 1.0,
    "day": 1.0,
    "days": 1.0,
    "wk": 7.0,
    "week": 7.0,
    "weeks": 7.0,
    "mo": 30.0,
    "month": 30.0,
    "months": 30.0,
    "a": 365.0,
    "year": 365.0,
}


def _clean(token: str) -> str:
    token = token.strip().lower()
    if token.startswith("{") and token.endswith("}"):
        token = token[1:-1].strip()
    return token


def unit_of(quantity: Any) -> Unit | None:
    """The unit of a Quantity, from its UCUM ``code`` or else its ``unit`` text."""
    q = as_dict(quantity)
    if q is None:
        return None
    written = as_str(q.get("unit")) or as_str(q.get("code")) or ""
    for raw in (as_str(q.get("code")), as_str(q.get("unit"))):
        if raw is None:
            continue
        if raw.strip() in _COUNT_SNOMED:
            return Unit(UnitKind.COUNT, 1.0, written)
        token = _clean(raw)
        if token in _MASS_TO_MG:
            return Unit(UnitKind.MASS, _MASS_TO_MG[token], written)
        if token in _VOLUME_TO_ML:
            return Unit(UnitKind.VOLUME, _VOLUME_TO_ML[token], written)
        if token in _COUNT_WORDS:
            return Unit(UnitKind.COUNT, 1.0, written)
    return None


def quantity_value(quantity: Any) -> float | None:
    q = as_dict(quantity)
    return as_number(q.get("value")) if q is not None else None


def days_of(value: float | None, unit: Any) -> float | None:
    """A duration in days from a value and a UCUM time unit (``d``, ``h``, ``wk``...)."""
    if value is None:
        return None
    token = _clean(as_str(unit) or "")
    factor = _TIME_TO_DAYS.get(token)
    return value * factor if factor is not None else None


def duration_days(quantity: Any) -> float | None:
    """A Duration (``{"value": 3, "unit": "d"}``) in days."""
    q = as_dict(quantity)
    if q is None:
        return None
    return days_of(as_number(q.get("value")), q.get("code") or q.get("unit"))


def mass_per_time(quantity: Any) -> tuple[Unit, float] | None:
    """A rate written as one Quantity (``ug/h``, ``mL/d``): its amount unit and period in days."""
    q = as_dict(quantity)
    if q is None:
        return None
    raw = as_str(q.get("code")) or as_str(q.get("unit"))
    if raw is None or "/" not in raw:
        return None
    amount, _, per = raw.partition("/")
    amount_unit = unit_of({"code": amount})
    period = days_of(1.0, per)
    if amount_unit is None or period is None:
        return None
    return amount_unit, period
