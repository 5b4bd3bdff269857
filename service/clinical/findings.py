"""What a rule found: the rule code, the severity, the numbers, and what could fix it.

Findings are plain data. Turning them into CDS cards (wording, FHIR resources) is the job of
``cards``; rules never build a card themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from service.clinical.facts import BaclofenOrder
from service.clinical.schedules import Schedule, ScheduleKind

IndicatorName = Literal["info", "warning", "critical"]


@dataclass(frozen=True)
class UpdateDose:
    """Change the draft to the ``doses`` of a day (mg; even or not: 30 + 20 + 20 mg)."""

    order: BaclofenOrder
    doses: tuple[float, ...]
    label: str
    recommended: bool = False
    start: date | None = None  # not before this day (the next permitted titration step)
    raises: bool = False  # above the patient's current daily dose (a titration step)
    withdraw: tuple[BaclofenOrder, ...] = ()  # other new drafts this one order replaces


@dataclass(frozen=True)
class CancelOrder:
    """Stop (active) or remove (draft) another baclofen order."""

    order: BaclofenOrder
    label: str
    recommended: bool = False
    raises: bool = False
    # The new draft that takes the stopped order's place: it is given that order as its
    # priorPrescription in the same suggestion, so the EHR (and the next call) sees one
    # replacement, not a stop beside a new start.
    replaced_by: BaclofenOrder | None = None


@dataclass(frozen=True)
class SwitchProduct:
    """Replace the draft's product by ``product_text``, keeping the daily dose."""

    order: BaclofenOrder
    product_text: str
    doses: tuple[float, ...]  # mg
    label: str
    rxnorm: str | None = None
    concentration_mg_per_ml: float | None = None
    recommended: bool = False
    raises: bool = False


@dataclass(frozen=True)
class OrderTest:
    """Order a laboratory test or measurement (a ServiceRequest)."""

    code: str
    display: str
    label: str
    recommended: bool = True
    raises: bool = False


@dataclass(frozen=True)
class ScheduleSuggestion:
    """Replace the draft by a schedule (titration, taper, intrathecal reduction)."""

    order: BaclofenOrder
    schedule: Schedule
    label: str
    prior: BaclofenOrder | None = None  # the active order the schedule takes over from
    recommended: bool = True
    # Other baclofen orders the schedule replaces: active ones are stopped, drafts removed
    # (the other new drafts of one start; an older order a lower replacement takes over).
    withdraw: tuple[BaclofenOrder, ...] = ()

    @property
    def raises(self) -> bool:
        return self.schedule.kind is ScheduleKind.TITRATION


SuggestionSpec = UpdateDose | CancelOrder | SwitchProduct | OrderTest | ScheduleSuggestion


@dataclass(frozen=True)
class Finding:
    rule: str
    indicator: IndicatorName
    order: BaclofenOrder | None
    # Fills the summary template of the rule (rules.yaml); `variant` picks one of its texts.
    values: dict[str, str] = field(default_factory=dict)
    variant: str | None = None
    # The numbers and records the finding rests on, as (what, value) lines of the detail.
    facts: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    suggestions: tuple[SuggestionSpec, ...] = ()
