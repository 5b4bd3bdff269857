"""The highest oral daily dose a patient may have: the adult maximum, lowered by age, weight
and kidney function. Suggestions and schedules never go above it."""

from __future__ import annotations

from dataclasses import dataclass

from service.clinical.facts import ClinicalStatus, Measurement, PatientFacts
from service.clinical.knowledge import Knowledge
from service.clinical.knowledge.schema import PediatricBand
from service.clinical.wording import number


@dataclass(frozen=True)
class Ceiling:
    daily_mg: float
    reason: str


def pediatric_band(age: int, knowledge: Knowledge) -> PediatricBand | None:
    for band in knowledge.dosing.pediatric.bands:
        if band.from_age <= age <= band.to_age:
            return band
    return None


def band_limit_mg(band: PediatricBand, weight: Measurement | None) -> float | None:
    """The band's maximum in mg/day: its fixed cap, its mg/kg cap, or the lower of both."""
    limit, _ = band_limit(band, weight)
    return limit


def band_limit(band: PediatricBand, weight: Measurement | None) -> tuple[float | None, bool]:
    """The band's maximum in mg/day, and whether it is the weight-based one."""
    fixed = band.max_daily_mg
    per_kg = None
    if band.max_mg_per_kg is not None and weight is not None:
        per_kg = round(band.max_mg_per_kg * weight.value, 2)
    if per_kg is not None and (fixed is None or per_kg < fixed):
        return per_kg, True
    return fixed, False


def effective_renal_value(renal: Measurement) -> float:
    """A '<30' result is below 30, a '>60' one above 60: read the comparator conservatively."""
    if renal.comparator == "<":
        return renal.value - 0.001
    if renal.comparator == ">":
        return renal.value + 0.001
    return renal.value


def renal_band(patient: PatientFacts, knowledge: Knowledge) -> str | None:
    """'contraindicated', 'impaired' or None, from CrCl/eGFR and coded conditions."""
    renal = knowledge.dosing.renal
    if patient.conditions_in("renal_failure"):
        return "contraindicated"
    if patient.renal is not None:
        value = effective_renal_value(patient.renal)
        if value < renal.contraindicated_below:
            return "contraindicated"
        if value < renal.impaired_below:
            return "impaired"
        return None
    if patient.conditions_in("renal_impairment", (ClinicalStatus.ACTIVE,)):
        return "impaired"
    return None


def is_elderly(patient: PatientFacts, knowledge: Knowledge) -> bool:
    """65 or over (K07), counting the oldest age a partial birth date allows."""
    return patient.age is not None and patient.age.oldest >= knowledge.dosing.elderly.from_age


def oral_ceiling(patient: PatientFacts, knowledge: Knowledge) -> Ceiling:
    dosing = knowledge.dosing
    words = knowledge.words
    ceiling = Ceiling(dosing.oral.max_daily_mg, words("ceiling_adult"))
    age = patient.age
    if age is not None and age.youngest < dosing.pediatric.adult_from_age:
        band = pediatric_band(age.youngest, knowledge)
        limit = band_limit_mg(band, patient.weight) if band is not None else None
        if limit is not None and limit < ceiling.daily_mg:
            ceiling = Ceiling(limit, words("ceiling_pediatric", age=age.youngest))
        if patient.weight is not None:
            per_kg = round(dosing.pediatric.critical_mg_per_kg * patient.weight.value, 2)
            if per_kg < ceiling.daily_mg:
                limit_text = number(dosing.pediatric.critical_mg_per_kg)
                ceiling = Ceiling(per_kg, words("ceiling_per_kg", per_kg=limit_text))
    band_name = renal_band(patient, knowledge)
    if band_name == "contraindicated":
        cap = dosing.renal.contraindicated_continued_daily_mg
        if cap < ceiling.daily_mg:
            ceiling = Ceiling(cap, words("ceiling_renal_failure"))
    elif band_name == "impaired":
        cap = dosing.renal.impaired_cap_daily_mg
        if cap < ceiling.daily_mg:
            ceiling = Ceiling(cap, words("ceiling_renal_impairment"))
    return ceiling
