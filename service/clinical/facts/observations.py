"""Weight, renal function, recent labs and pregnancy/lactation status from Observations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from service.clinical.facts.bundles import resources
from service.clinical.facts.model import Measurement, StatusAnswer, StatusObservation
from service.clinical.fhir_json import (
    JSON,
    as_dict,
    as_number,
    as_str,
    codings,
    concept_texts,
    months_before,
    parse_date,
)
from service.clinical.knowledge import Knowledge, word_pattern

_EXCLUDED_STATUSES = {"entered-in-error", "cancelled"}
_WEIGHT_TO_KG = {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237, "lbs": 0.45359237}


@dataclass(frozen=True)
class ObservationFacts:
    weight: Measurement | None
    stale_weight: Measurement | None
    renal: Measurement | None
    creatinine: Measurement | None  # latest serum creatinine in mg/dL, within the renal window
    last_renal_test: date | None  # latest CrCl, eGFR or creatinine, however old
    last_hepatic_test: date | None
    last_glucose_test: date | None
    pregnancy: StatusObservation | None
    lactation: StatusObservation | None


def _effective_date(observation: JSON) -> date | None:
    for key in ("effectiveDateTime", "effectiveInstant", "issued"):
        found = parse_date(observation.get(key))
        if found is not None:
            return found
    period = as_dict(observation.get("effectivePeriod"))
    if period is not None:
        return parse_date(period.get("end")) or parse_date(period.get("start"))
    return None


def _value(observation: JSON) -> tuple[float | None, str | None, str]:
    """(number, comparator, unit) of valueQuantity, or of a valueString such as '>60'."""
    quantity = as_dict(observation.get("valueQuantity"))
    if quantity is not None:
        unit = as_str(quantity.get("code")) or as_str(quantity.get("unit")) or ""
        return as_number(quantity.get("value")), as_str(quantity.get("comparator")), unit
    text = as_str(observation.get("valueString"))
    if text is not None:
        stripped = text.strip()
        comparator = next((c for c in ("<=", ">=", "<", ">") if stripped.startswith(c)), None)
        number = as_number(stripped[len(comparator) :] if comparator else stripped)
        return number, comparator, ""
    return None, None, ""


def _answer(observation: JSON, yes: Any, no: Any) -> StatusAnswer:
    concept = observation.get("valueCodeableConcept")
    for coding in codings(concept):
        if coding.code in no.codes:
            return StatusAnswer.NO
        if coding.code in yes.codes:
            return StatusAnswer.YES
    texts = " | ".join(concept_texts(concept)) or (as_str(observation.get("valueString")) or "")
    no_words, yes_words = word_pattern(no.words), word_pattern(yes.words)
    if no_words is not None and no_words.search(texts):
        return StatusAnswer.NO
    if yes_words is not None and yes_words.search(texts):
        return StatusAnswer.YES
    if observation.get("valueBoolean") is True:
        return StatusAnswer.YES
    if observation.get("valueBoolean") is False:
        return StatusAnswer.NO
    return StatusAnswer.UNKNOWN


def observation_facts(bundle: Any, knowledge: Knowledge, today: date) -> ObservationFacts:
    loinc = knowledge.observations.loinc_system
    groups = knowledge.loinc_groups
    dosing = knowledge.dosing
    weight_since = months_before(today, dosing.weight.recency_months)
    renal_since = months_before(today, dosing.renal.recency_months)

    latest_weight: Measurement | None = None
    latest_renal: Measurement | None = None
    latest_creatinine: Measurement | None = None
    hepatic: date | None = None
    glucose: date | None = None
    pregnancy: StatusObservation | None = None
    lactation: StatusObservation | None = None

    wanted = knowledge.observation_code_set
    renal_group = groups["creatinine_clearance"] | groups["egfr"]
    for observation in resources(bundle, "Observation"):
        if as_str(observation.get("status")) in _EXCLUDED_STATUSES:
            continue
        codes = {
            c.code for c in codings(observation.get("code")) if c.system == loinc or not c.system
        }
        if not codes & wanted:
            continue  # not a code the rules read: no need to look further
        on = _effective_date(observation)
        if on is None or on > today:
            continue

        if codes & groups["body_weight"]:
            value, comparator, unit = _value(observation)
            factor = _WEIGHT_TO_KG.get(unit.strip().lower() if unit else "kg")
            if value is not None and value > 0 and factor is not None:
                candidate = Measurement(
                    "Body weight",
                    round(value * factor, 2),
                    "kg",
                    on,
                    next(iter(codes & groups["body_weight"])),
                    comparator,
                )
                if latest_weight is None or candidate.on > latest_weight.on:
                    latest_weight = candidate
        renal_codes = codes & renal_group
        if renal_codes:
            value, comparator, unit = _value(observation)
            if value is not None and value >= 0:
                is_crcl = bool(codes & groups["creatinine_clearance"])
                candidate = Measurement(
                    "CrCl" if is_crcl else "eGFR",
                    value,
                    "mL/min" if is_crcl else "mL/min/1.73m2",
                    on,
                    next(iter(renal_codes)),
                    comparator,
                )
                if latest_renal is None or candidate.on > latest_renal.on:
                    latest_renal = candidate
        creatinine_codes = codes & (groups["creatinine_mg_dl"] | groups["creatinine_umol_l"])
        if creatinine_codes:
            creatinine = _creatinine(observation, creatinine_codes, groups, knowledge, on)
            if creatinine is not None and (
                latest_creatinine is None or creatinine.on > latest_creatinine.on
            ):
                latest_creatinine = creatinine
        if codes & groups["hepatic_panel"] and (hepatic is None or on > hepatic):
            hepatic = on
        if codes & groups["glucose"] and (glucose is None or on > glucose):
            glucose = on
        o = knowledge.observations
        if codes & groups["pregnancy_status"] and (pregnancy is None or (pregnancy.on or on) < on):
            answer = _answer(observation, o.pregnant_answers, o.not_pregnant_answers)
            pregnancy = StatusObservation(answer, on, f"pregnancy status {on.isoformat()}")
        if codes & groups["lactation_status"] and (lactation is None or (lactation.on or on) < on):
            answer = _answer(observation, o.breastfeeding_answers, o.not_breastfeeding_answers)
            lactation = StatusObservation(answer, on, f"breastfeeding status {on.isoformat()}")

    weight = latest_weight if latest_weight and latest_weight.on >= weight_since else None
    stale = latest_weight if latest_weight and weight is None else None
    renal = latest_renal if latest_renal and latest_renal.on >= renal_since else None
    recent_creatinine = (
        latest_creatinine if latest_creatinine and latest_creatinine.on >= renal_since else None
    )
    tests = [m.on for m in (latest_renal, latest_creatinine) if m is not None]
    return ObservationFacts(
        weight,
        stale,
        renal,
        recent_creatinine,
        max(tests, default=None),
        hepatic,
        glucose,
        pregnancy,
        lactation,
    )


_MG_DL = {"mg/dl", "mg/100ml", "mg%"}
_UMOL_L = {"umol/l", "µmol/l", "μmol/l", "micromol/l"}


def _creatinine(
    observation: JSON,
    codes: set[str],
    groups: Any,
    knowledge: Knowledge,
    on: date,
) -> Measurement | None:
    """A serum creatinine in mg/dL (µmol/L converted), or None when its unit is not one of
    those the code promises."""
    value, comparator, unit = _value(observation)
    if value is None or value <= 0 or comparator is not None:
        return None  # "<0.5" cannot be divided by: no estimate from a bound
    unit = unit.strip().lower()
    code = next(iter(codes))
    per_umol = knowledge.dosing.renal.cockcroft_gault.umol_per_mg_dl
    if unit in _UMOL_L or (not unit and codes & groups["creatinine_umol_l"]):
        return Measurement("Serum creatinine", round(value / per_umol, 3), "mg/dL", on, code)
    if unit in _MG_DL or (not unit and codes & groups["creatinine_mg_dl"]):
        return Measurement("Serum creatinine", value, "mg/dL", on, code)
    return None
