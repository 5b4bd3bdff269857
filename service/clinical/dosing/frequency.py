"""How many times a day a dose is given, from a FHIR Timing.

Order of precedence follows FHIR: ``timing.repeat`` is authoritative when present; the
``timing.code`` (BID, TID, Q8H...) is read when there is no usable repeat. Ranges take the high
end (``frequencyMax``, the shorter ``period``), because the checks ask "how much at most".
An every-other-day or weekly regimen is counted per dosing day: the checks are about the dose
on the days it is taken.
"""

from __future__ import annotations

from typing import Any

from service.clinical.dosing.units import days_of
from service.clinical.fhir_json import as_dict, as_number, as_str, codings
from service.clinical.text import BoundedPattern, bounded

# GTSAbbreviation (http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation) and common sig
# abbreviations: administrations on a dosing day.
_CODE_PER_DAY: dict[str, float] = {
    "QD": 1,
    "OD": 1,
    "DAILY": 1,
    "QDAY": 1,
    "AM": 1,
    "PM": 1,
    "QAM": 1,
    "QPM": 1,
    "QHS": 1,
    "HS": 1,
    "BED": 1,
    "NOCTE": 1,
    "QOD": 1,
    "WK": 1,
    "MO": 1,
    "BID": 2,
    "BD": 2,
    "Q12H": 2,
    "TID": 3,
    "TDS": 3,
    "Q8H": 3,
    "QID": 4,
    "QDS": 4,
    "Q6H": 4,
    "Q4H": 6,
    "Q3H": 8,
    "Q2H": 12,
    "Q1H": 24,
    "QH": 24,
}

# Linear patterns over bounded text (``service.clinical.text``): the words of a phrase are
# separated by a bounded run of spaces, and no two quantifiers can take the same characters.
_PER = r"\s{1,3}(?:(?:a|per|each)\s{1,3})?(?:day|daily)\b"
_TEXT_PER_DAY: list[tuple[BoundedPattern, float]] = [
    (BoundedPattern.compile(r"\b(?:once|one time|1 time|1x)" + _PER), 1),
    (BoundedPattern.compile(r"\b(?:twice|two times|2 times|2x)" + _PER), 2),
    (BoundedPattern.compile(r"\b(?:three times|3 times|thrice|3x)" + _PER), 3),
    (BoundedPattern.compile(r"\b(?:four times|4 times|4x)" + _PER), 4),
    (BoundedPattern.compile(r"\b(?:five times|5 times|5x)" + _PER), 5),
    (BoundedPattern.compile(r"\bevery\s{1,3}(\d{1,3})\s{0,3}(?:h|hr|hrs|hour|hours)\b"), -1.0),
    (
        BoundedPattern.compile(
            r"\b(?:daily|nightly|at bedtime|every morning|every evening|every day)\b"
        ),
        1,
    ),
]

_ABBREVIATION = BoundedPattern.compile(r"\b(Q\d{1,2}H|[A-Z]{2,5})\b")


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _from_repeat(repeat: Any) -> float | None:
    r = as_dict(repeat)
    if r is None:
        return None
    # `when` (MORN, EVE...) and `timeOfDay` lists name the times of a dosing day.
    times_listed = float(max(len(_strings(r.get("when"))), len(_strings(r.get("timeOfDay")))))
    frequency = as_number(r.get("frequencyMax")) or as_number(r.get("frequency"))
    # DSTU2 spells it periodUnits (the CDS Hooks sandbox's default FHIR server).
    period_unit = as_str(r.get("periodUnit")) or as_str(r.get("periodUnits"))
    # The high end of a period range is the shorter period: keep `period`, not `periodMax`.
    period = as_number(r.get("period")) or (1.0 if period_unit else None)

    if period is not None and period_unit is not None:
        period_days = days_of(period, period_unit)
        if period_days is None or period_days <= 0:
            return None
        count = frequency if frequency is not None and frequency > 0 else 1.0
        if period_days < 1:
            return count / period_days  # every N hours
        if period_days == 1:
            return max(count, times_listed)
        # Longer periods (every other day, three times a week): administrations on a dosing day.
        return max(1.0, count / period_days, times_listed)
    if frequency is None and times_listed:
        return times_listed
    if frequency is None and period is None and as_number(r.get("count")) == 1:
        return 1.0  # one administration (an intrathecal screening bolus): its dose is the day's
    return None


def _from_code(code: Any) -> float | None:
    for coding in codings(code):
        per_day = _CODE_PER_DAY.get(coding.code.upper().replace(".", "").replace(" ", ""))
        if per_day is not None:
            return per_day
    concept = as_dict(code)
    text = as_str(concept.get("text")) if concept is not None else None
    return per_day_from_text(text) if text else None


def per_day_from_text(text: str) -> float | None:
    """Administrations per day from a frequency phrase ("three times daily", "TID", "q8h")."""
    text = bounded(text)
    lowered = text.lower()
    for pattern, per_day in _TEXT_PER_DAY:
        match = pattern.search(lowered)
        if match:
            if per_day < 0:
                hours = float(match.group(1))
                return 24 / hours if hours > 0 else None
            return per_day
    for match in _ABBREVIATION.finditer(text.upper().replace(".", "")):
        found = _CODE_PER_DAY.get(match.group(1))
        if found is not None:
            return found
    return None


# Once a minute. A timing beyond it ("every 1e-300 s") describes no real regimen; read as
# written it would turn a 10 mg dose into an astronomically large daily dose.
MAX_ADMINISTRATIONS_PER_DAY = 24 * 60


def administrations_per_day(timing: Any) -> float | None:
    """Administrations on a dosing day, or ``None`` when the timing does not say (or says
    something no regimen could mean: more than ``MAX_ADMINISTRATIONS_PER_DAY``)."""
    t = as_dict(timing)
    if t is None:
        return None
    per_day = _from_repeat(t.get("repeat"))
    if per_day is None:
        per_day = _from_code(t.get("code"))
    if per_day is None:
        events = t.get("event")
        if isinstance(events, list) and len(events) == 1 and as_dict(t.get("repeat")) is None:
            per_day = 1.0  # a single administration at one stated time
    return per_day if per_day is None or per_day <= MAX_ADMINISTRATIONS_PER_DAY else None
