"""Weight, renal function, recent labs and pregnancy/lactation status from Observations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

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
from service.clinical.knowledge.schema import AnswerSet

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


def _answer(observation: JSON, yes: AnswerSet, no: AnswerSet) -> StatusAnswer:
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


R = TypeVar("R")


@dataclass(frozen=True)
class _Observation:
    """An Observation the rules read, seen by the reader of one group."""

    resource: JSON
    codes: set[str]  # its codes of that group
    on: date


# Reads one Observation of a group, or None when its value is unusable.
Reader = Callable[[_Observation], R | None]


class _Latest(Generic[R]):
    """The latest Observation of one group of LOINC codes, as its reader reads it."""

    def __init__(self, codes: AbstractSet[str], read: Reader[R]) -> None:
        self.codes = codes
        self.read = read
        self.found: R | None = None
        self.on: date | None = None

    def offer(self, resource: JSON, codes: set[str], on: date) -> None:
        matched = codes & self.codes
        # Only a strictly newer one replaces it: of two on the same day the first one stands.
        if not matched or (self.on is not None and on <= self.on):
            return
        found = self.read(_Observation(resource, matched, on))
        if found is not None:
            self.found, self.on = found, on


def _weight(observation: _Observation) -> Measurement | None:
    value, comparator, unit = _value(observation.resource)
    factor = _WEIGHT_TO_KG.get(unit.strip().lower() if unit else "kg")
    if value is None or value <= 0 or factor is None:
        return None
    kg, code = round(value * factor, 2), next(iter(observation.codes))
    return Measurement("Body weight", kg, "kg", observation.on, code, comparator)


def _renal(observation: _Observation, creatinine_clearance: AbstractSet[str]) -> Measurement | None:
    """A CrCl or an eGFR, as measured: a bound such as '>60' is kept as a bound."""
    value, comparator, _ = _value(observation.resource)
    if value is None or value < 0:
        return None
    on, code = observation.on, next(iter(observation.codes))
    if observation.codes & creatinine_clearance:
        return Measurement("CrCl", value, "mL/min", on, code, comparator)
    return Measurement("eGFR", value, "mL/min/1.73m2", on, code, comparator)


def _tested(observation: _Observation) -> date:
    """The monitoring rules ask only when the test was last done, not what it found."""
    return observation.on


def _status(
    observation: _Observation, yes: AnswerSet, no: AnswerSet, what: str
) -> StatusObservation:
    on = observation.on
    return StatusObservation(_answer(observation.resource, yes, no), on, f"{what} {on.isoformat()}")


_MG_DL = {"mg/dl", "mg/100ml", "mg%"}
_UMOL_L = {"umol/l", "µmol/l", "μmol/l", "micromol/l"}


def _creatinine(observation: _Observation, knowledge: Knowledge) -> Measurement | None:
    """A serum creatinine in mg/dL (µmol/L converted), or None when its unit is not one of
    those the code promises."""
    value, comparator, unit = _value(observation.resource)
    if value is None or value <= 0 or comparator is not None:
        return None  # "<0.5" cannot be divided by: no estimate from a bound
    unit = unit.strip().lower()
    codes, on = observation.codes, observation.on
    code = next(iter(codes))
    groups = knowledge.loinc_groups
    per_umol = knowledge.dosing.renal.cockcroft_gault.umol_per_mg_dl
    if unit in _UMOL_L or (not unit and codes & groups["creatinine_umol_l"]):
        return Measurement("Serum creatinine", round(value / per_umol, 3), "mg/dL", on, code)
    if unit in _MG_DL or (not unit and codes & groups["creatinine_mg_dl"]):
        return Measurement("Serum creatinine", value, "mg/dL", on, code)
    return None


def _readable(
    bundle: Any, knowledge: Knowledge, today: date
) -> Iterator[tuple[JSON, set[str], date]]:
    """The Observations the rules read, with their LOINC codes and date."""
    loinc = knowledge.observations.loinc_system
    wanted = knowledge.observation_code_set
    for observation in resources(bundle, "Observation"):
        if as_str(observation.get("status")) in _EXCLUDED_STATUSES:
            continue
        codes = {
            c.code for c in codings(observation.get("code")) if c.system == loinc or not c.system
        }
        if not codes & wanted:
            continue  # not a code the rules read: no need to look further
        on = _effective_date(observation)
        if on is not None and on <= today:
            yield observation, codes, on


def _within(measurement: Measurement | None, since: date) -> Measurement | None:
    return measurement if measurement and measurement.on >= since else None


def observation_facts(bundle: Any, knowledge: Knowledge, today: date) -> ObservationFacts:
    groups, o = knowledge.loinc_groups, knowledge.observations
    # One reader per group of the knowledge: a new kind of observation is one more row.
    weight = _Latest(groups["body_weight"], _weight)
    renal = _Latest(
        groups["creatinine_clearance"] | groups["egfr"],
        lambda seen: _renal(seen, groups["creatinine_clearance"]),
    )
    creatinine = _Latest(
        groups["creatinine_mg_dl"] | groups["creatinine_umol_l"],
        lambda seen: _creatinine(seen, knowledge),
    )
    hepatic = _Latest(groups["hepatic_panel"], _tested)
    glucose = _Latest(groups["glucose"], _tested)
    pregnancy = _Latest(
        groups["pregnancy_status"],
        lambda seen: _status(seen, o.pregnant_answers, o.not_pregnant_answers, "pregnancy status"),
    )
    lactation = _Latest(
        groups["lactation_status"],
        lambda seen: _status(
            seen, o.breastfeeding_answers, o.not_breastfeeding_answers, "breastfeeding status"
        ),
    )
    readers: tuple[_Latest[Any], ...] = (
        weight,
        renal,
        creatinine,
        hepatic,
        glucose,
        pregnancy,
        lactation,
    )
    for resource, codes, on in _readable(bundle, knowledge, today):
        for reader in readers:
            reader.offer(resource, codes, on)

    dosing = knowledge.dosing
    recent_weight = _within(weight.found, months_before(today, dosing.weight.recency_months))
    renal_since = months_before(today, dosing.renal.recency_months)
    return ObservationFacts(
        weight=recent_weight,
        stale_weight=weight.found if recent_weight is None else None,
        renal=_within(renal.found, renal_since),
        creatinine=_within(creatinine.found, renal_since),
        last_renal_test=max((d for d in (renal.on, creatinine.on) if d is not None), default=None),
        last_hepatic_test=hepatic.found,
        last_glucose_test=glucose.found,
        pregnancy=pregnancy.found,
        lactation=lactation.found,
    )
