"""Small, total readers for FHIR JSON.

The clinical core reads prefetch data as plain JSON rather than through full FHIR models: most
of a patient's record is irrelevant to baclofen, and real EHR data is often a little malformed.
Every reader here accepts anything and answers ``None`` (or an empty tuple) when the value is
not there or not of the expected shape, so a sloppy resource can never crash an evaluation.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple

from service.clinical.text import bounded

JSON = Mapping[str, Any]


class CodingValue(NamedTuple):
    system: str
    code: str
    display: str


def as_dict(value: Any) -> JSON | None:
    # JSON objects are dicts; checking for dict rather than Mapping keeps the hot path cheap.
    return value if isinstance(value, dict) else None


def dig(value: Any, *path: str) -> Any:
    """``value[path[0]][path[1]]...``, or ``None`` as soon as a step is not an object."""
    for key in path:
        mapping = as_dict(value)
        if mapping is None:
            return None
        value = mapping.get(key)
    return value


def without_empty(value: Any) -> Any:
    """A copy without null, "", [] or {} at any depth: FHIR JSON allows none of them.

    Client data copied into a resource of ours (the draft being changed, its route) may carry
    them; an EHR may refuse such a resource, and CDS Hooks forbids them in a response.
    """
    if isinstance(value, Mapping):
        pruned = {key: without_empty(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if not _is_empty(item)}
    if isinstance(value, list):
        return [item for item in map(without_empty, value) if not _is_empty(item)]
    return value


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    # Clients send single objects where FHIR wants arrays (the sandbox's `category`).
    return [value] if isinstance(value, Mapping) else []


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value and not value.isspace() else None


def as_number(value: Any) -> float | None:
    """A finite number from a JSON number or a numeric string, else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def codings(concept: Any) -> tuple[CodingValue, ...]:
    """The codings of a CodeableConcept (or of a bare Coding)."""
    concept_dict = as_dict(concept)
    if concept_dict is None:
        return ()
    raw = concept_dict.get("coding")
    items = as_list(raw) if raw is not None else ([concept_dict] if "code" in concept_dict else [])
    result = []
    for coding in items:
        if not isinstance(coding, dict):
            continue
        system, code, display = coding.get("system"), coding.get("code"), coding.get("display")
        result.append(
            CodingValue(
                system.strip() if isinstance(system, str) else "",
                code.strip() if isinstance(code, str) else "",
                display.strip() if isinstance(display, str) else "",
            )
        )
    return tuple(result)


def concept_texts(concept: Any) -> tuple[str, ...]:
    """Every human-readable text of a CodeableConcept: ``text`` and the displays, each bounded
    (``service.clinical.text``): they are matched against patterns and quoted on cards."""
    if not isinstance(concept, dict):
        return ()
    text = as_str(concept.get("text"))
    texts = [bounded(text).strip()] if text else []
    for coding in as_list(concept.get("coding")):
        display = coding.get("display") if isinstance(coding, dict) else None
        if isinstance(display, str) and display.strip():
            texts.append(bounded(display).strip())
    return tuple(texts)


# How a card names a code system next to a code ("SNOMED 413712001", "RxNorm 1292").
SYSTEM_NAMES = {
    "http://snomed.info/sct": "SNOMED",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
    "urn:oid:2.16.840.1.113883.6.90": "ICD-10-CM",
    "http://hl7.org/fhir/sid/icd-10": "ICD-10",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://loinc.org": "LOINC",
    "http://www.whocc.no/atc": "ATC",
    "http://hl7.org/fhir/sid/ndc": "NDC",
}


def coded_label(concept: Any) -> str | None:
    """The first code of a concept named with its system ("SNOMED 413712001"), or None."""
    for coding in codings(concept):
        if coding.code:
            system = SYSTEM_NAMES.get(coding.system or "")
            return f"{system} {coding.code}" if system else f"code {coding.code}"
    return None


def concept_label(concept: Any, fallback: str = "unnamed") -> str:
    """The best single label for a concept: its text, else a display, else its code with the
    code system ("SNOMED 413712001"), else ``fallback``."""
    texts = concept_texts(concept)
    if texts:
        return texts[0]
    return coded_label(concept) or fallback


def status_code(concept: Any) -> str | None:
    """The code of a status CodeableConcept (``clinicalStatus``), lower-cased."""
    if not isinstance(concept, dict):
        return None
    for coding in as_list(concept.get("coding")):
        code = coding.get("code") if isinstance(coding, dict) else None
        if isinstance(code, str) and code.strip():
            return code.strip().lower()
    text = as_str(concept.get("text"))
    return text.strip().lower() if text else None


def parse_date(value: Any, *, latest: bool = False) -> date | None:
    """The calendar date of a FHIR date or dateTime (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD...``).

    A partial date stands for a period; ``latest`` picks its last day instead of its first.
    """
    text = as_str(value)
    if text is None:
        return None
    text = text.strip()
    try:
        if len(text) >= 10 and text[4] == "-" and text[7] == "-":
            return date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
        if len(text) == 7 and text[4] == "-":
            year, month = int(text[0:4]), int(text[5:7])
            day = calendar.monthrange(year, month)[1] if latest else 1
            return date(year, month, day)
        if len(text) == 4 and text.isdigit():
            return date(int(text), 12, 31) if latest else date(int(text), 1, 1)
    except ValueError:
        return None
    return None


def reference_id(reference: Any) -> str | None:
    """``MedicationRequest/123`` (or a full URL ending so) → ``MedicationRequest/123``."""
    reference_dict = as_dict(reference)
    ref = as_str(reference_dict.get("reference")) if reference_dict is not None else None
    if ref is None:
        return None
    parts = ref.rstrip("/").split("/")
    if ref.startswith("#"):
        return ref
    if len(parts) >= 2:
        # Drop a trailing _history/n from versioned references.
        if len(parts) >= 4 and parts[-2] == "_history":
            parts = parts[:-2]
        return f"{parts[-2]}/{parts[-1]}"
    return None


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's length)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def completed_years(born: date, on: date) -> int:
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years
