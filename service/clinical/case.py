"""What the clinical core is asked about in one call: the patient's records and the orders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.clinical.records import RecordKind
from service.clinical.trigger import Trigger

__all__ = ["ClinicalCase"]


@dataclass(frozen=True)
class ClinicalCase:
    """One hook call as the core sees it: no request, no transport, a given ``today``."""

    today: date
    patient_id: str
    # Each record as FHIR JSON (a Patient, a Bundle), or None when it is known to be empty.
    records: Mapping[RecordKind, Any]
    # The records that could not be obtained, with why ("timeout", "HTTP 401", ...).
    unavailable: Mapping[RecordKind, str] = field(default_factory=dict)
    trigger: Trigger = Trigger.ORDER_WRITTEN
    # The draft orders of the session (a Bundle or a list of resources), when orders are
    # written; only the ``selections`` among them are judged when that is given.
    draft_orders: Any = None
    selections: Sequence[str] | None = None
