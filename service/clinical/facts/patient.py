"""Age and sex from the Patient resource."""

from __future__ import annotations

from datetime import date

from service.clinical.facts.model import Age
from service.clinical.fhir_json import JSON, as_str, completed_years, parse_date


def age_of(patient: JSON | None, today: date) -> Age | None:
    if patient is None:
        return None
    raw = patient.get("birthDate")
    earliest, latest = parse_date(raw), parse_date(raw, latest=True)
    if earliest is None or latest is None or earliest > today:
        return None
    return Age(
        youngest=completed_years(latest, today) if latest <= today else 0,
        oldest=completed_years(earliest, today),
        birth_date=earliest,
    )


def sex_of(patient: JSON | None) -> str | None:
    return as_str(patient.get("gender")) if patient is not None else None
