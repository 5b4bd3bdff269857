"""The chart summary an EHR shows above its ordering screen, read from an example's prefetch.

Weight and renal function are the values the rules use (``service.clinical.facts``: the latest
within their recency windows); problems, allergies, results and medicines are listed as
recorded, so the reader sees what the rules had to go on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.clinical.facts.bundles import resources
from service.clinical.facts.medications import active_requests
from service.clinical.facts.observations import observation_facts
from service.clinical.facts.patient import age_of, sex_of
from service.clinical.fhir_json import (
    as_dict,
    as_list,
    as_number,
    as_str,
    concept_label,
    parse_date,
    status_code,
)
from service.clinical.knowledge import Knowledge

MAX_ITEMS = 50  # per list: an example is small, this bounds a hand-edited one


@dataclass(frozen=True)
class Item:
    label: str
    note: str = ""


@dataclass(frozen=True)
class ChartSummary:
    name: str
    sex: str
    age: str
    weight: str
    renal: str
    problems: list[Item] = field(default_factory=list)
    allergies: list[Item] = field(default_factory=list)
    results: list[Item] = field(default_factory=list)
    medicines: list[Item] = field(default_factory=list)


def _name(patient: Mapping[str, Any] | None) -> str:
    for entry in as_list((patient or {}).get("name")):
        name = as_dict(entry)
        if name is None:
            continue
        text = as_str(name.get("text"))
        if text:
            return text
        given = " ".join(g for g in as_list(name.get("given")) if isinstance(g, str))
        family = as_str(name.get("family")) or ""
        if given or family:
            return f"{given} {family}".strip()
    return "Unnamed patient"


def _date(value: dt.date | None) -> str:
    return f"{value:%d %b %Y}" if value else ""


def _problems(bundle: Any) -> list[Item]:
    items = []
    for condition in resources(bundle, "Condition"):
        status = status_code(condition.get("clinicalStatus")) or "status not recorded"
        verification = status_code(condition.get("verificationStatus"))
        since = parse_date(condition.get("onsetDateTime")) or parse_date(
            condition.get("recordedDate")
        )
        parts = [status]
        if verification and verification != "confirmed":
            parts.append(verification)
        if since:
            parts.append(f"since {_date(since)}")
        note = ", ".join(parts)
        items.append(Item(concept_label(condition.get("code")), note))
    return items[:MAX_ITEMS]


def _allergies(bundle: Any) -> list[Item]:
    items = []
    for allergy in resources(bundle, "AllergyIntolerance"):
        verification = status_code(allergy.get("verificationStatus")) or ""
        items.append(Item(concept_label(allergy.get("code")), verification))
    return items[:MAX_ITEMS]


def _results(bundle: Any) -> list[Item]:
    items = []
    for observation in resources(bundle, "Observation"):
        quantity = as_dict(observation.get("valueQuantity")) or {}
        number = as_number(quantity.get("value"))
        value = ""
        if number is not None:
            comparator = as_str(quantity.get("comparator")) or ""
            unit = as_str(quantity.get("unit")) or as_str(quantity.get("code")) or ""
            value = f"{comparator}{number:g} {unit}"
        elif observation.get("valueCodeableConcept") is not None:
            value = concept_label(observation.get("valueCodeableConcept"))
        when = parse_date(observation.get("effectiveDateTime")) or parse_date(
            observation.get("issued")
        )
        note = " · ".join(part for part in (value.strip(), _date(when)) if part)
        items.append(Item(concept_label(observation.get("code")), note))
    return items[:MAX_ITEMS]


def dosage_text(request: Mapping[str, Any]) -> str:
    lines = [as_dict(line) for line in as_list(request.get("dosageInstruction"))]
    texts = [as_str(line.get("text")) for line in lines if line is not None]
    return "; ".join(text for text in texts if text)


def _medicines(bundle: Any, baclofen_ids: set[str]) -> list[Item]:
    return [
        Item(concept_label(request.get("medicationCodeableConcept")), dosage_text(request))
        for request in active_requests(bundle)
        if request.get("id") not in baclofen_ids
    ][:MAX_ITEMS]


def chart_summary(
    prefetch: dict[str, Any], knowledge: Knowledge, today: dt.date, baclofen_ids: set[str]
) -> ChartSummary:
    patient = as_dict(prefetch.get("patient"))
    age = age_of(patient, today)
    observations = observation_facts(prefetch.get("observations"), knowledge, today)
    if observations.weight is not None:
        weight = f"{observations.weight.value:g} kg ({_date(observations.weight.on)})"
    elif observations.stale_weight is not None:
        stale = observations.stale_weight
        weight = f"{stale.value:g} kg ({_date(stale.on)}: too old to dose by)"
    else:
        weight = "not recorded"
    renal = observations.renal
    return ChartSummary(
        name=_name(patient),
        sex=sex_of(patient) or "not recorded",
        age=f"{age.text} (born {_date(age.birth_date)})" if age else "unknown (no birth date)",
        weight=weight,
        renal=(
            f"{renal.label} {renal.comparator or ''}{renal.value:g} {renal.unit}"
            f" ({_date(renal.on)})"
            if renal
            else "no recent eGFR or creatinine clearance"
        ),
        problems=_problems(prefetch.get("conditions")),
        allergies=_allergies(prefetch.get("allergies")),
        results=_results(prefetch.get("observations")),
        medicines=_medicines(prefetch.get("medications"), baclofen_ids),
    )
