"""Typed facts about the patient and the orders: what the rules read, and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from service.clinical.dosing.daily_dose import DoseKind, OrderDose
from service.clinical.dosing.products import Product
from service.clinical.fhir_json import JSON
from service.clinical.records import RecordKind
from service.clinical.wording import number

# Statuses of a draft that end or interrupt therapy (on-hold interrupts it just as a stop does).
STOP_STATUSES = frozenset({"stopped", "cancelled", "completed", "on-hold"})


class ClinicalStatus(StrEnum):
    ACTIVE = "active"  # active, recurrence, relapse, or not stated
    HISTORY = "history"  # resolved, inactive, remission


@dataclass(frozen=True)
class Measurement:
    """A numeric observation, in the unit the rules use (kg, mL/min)."""

    label: str  # "Body weight", "eGFR", "CrCl"
    value: float
    unit: str
    on: date
    code: str
    comparator: str | None = None  # "<", ">", ... as the lab sent it
    # Not measured but worked out (a Cockcroft-Gault CrCl): from what, for the card.
    estimated_from: str | None = None

    @property
    def text(self) -> str:
        number = f"{self.value:g}"
        text = f"{self.label} {self.comparator or ''}{number} {self.unit} ({self.on.isoformat()})"
        if self.estimated_from:
            text += f", estimated from {self.estimated_from}"
        return text


@dataclass(frozen=True)
class Age:
    """Completed years; a partial birth date gives a range (youngest, oldest)."""

    youngest: int
    oldest: int
    birth_date: date

    @property
    def text(self) -> str:
        if self.youngest == self.oldest:
            return f"{self.youngest} years"
        return f"{self.youngest}-{self.oldest} years"


def with_code(label: str, code: str | None) -> str:
    return f"{label} ({code})" if code and code != label else label


@dataclass(frozen=True)
class ConditionFact:
    label: str  # what the record calls it ("Breastfeeding"), for summaries
    status: ClinicalStatus
    value_sets: frozenset[str]
    recorded: date | None = None
    code: str | None = None  # "SNOMED 413712001": the code it was recorded with

    @property
    def evidence(self) -> str:
        """'Breastfeeding (SNOMED 413712001)': the name with the code, for the detail."""
        return (
            f"{self.label} ({self.code})" if self.code and self.code != self.label else self.label
        )


@dataclass(frozen=True)
class AllergyFact:
    label: str
    verification: str | None
    code: str | None = None

    @property
    def evidence(self) -> str:
        return (
            f"{self.label} ({self.code})" if self.code and self.code != self.label else self.label
        )


@dataclass(frozen=True)
class OtherMedication:
    """A non-baclofen medication the patient takes or is being ordered."""

    label: str
    classes: frozenset[str]  # names of interacting classes (medications.yaml)
    in_this_session: bool  # a draft order of the same ordering session
    short_name: str = ""  # the ingredient that matched ("tramadol"), for short card text

    @property
    def name(self) -> str:
        return self.short_name or self.label


class StatusAnswer(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class StatusObservation:
    answer: StatusAnswer
    on: date | None
    label: str


@dataclass(frozen=True)
class BaclofenOrder:
    """A baclofen MedicationRequest: a draft being ordered, or an active one in the record."""

    reference: str | None  # "MedicationRequest/123"
    status: str
    authored_on: date | None
    product: Product
    dose: OrderDose
    prior_prescription: str | None
    resource: JSON = field(repr=False)
    is_draft: bool = False

    @property
    def is_stop(self) -> bool:
        """A draft that interrupts therapy: stopped, cancelled, completed or on-hold.

        Only a draft can be a stop: an on-hold order in the record is established therapy
        (paused, and still the dose the patient returns to).
        """
        return self.is_draft and self.status in STOP_STATUSES

    @property
    def route(self) -> DoseKind:
        return self.dose.kind

    @property
    def daily_text(self) -> str:
        daily = self.dose.highest_daily
        if daily is None:
            return "dose unknown"
        text = f"{number(daily)} {self.dose.kind.unit}/day"
        return text + " by pump" if self.dose.kind is DoseKind.INTRATHECAL else text


@dataclass(frozen=True)
class PatientFacts:
    today: date
    patient_id: str
    age: Age | None
    sex: str | None
    weight: Measurement | None  # within the weight recency window
    stale_weight: Measurement | None  # the latest weight when it is older than that
    renal: Measurement | None  # latest CrCl or eGFR within the renal recency window
    conditions: tuple[ConditionFact, ...]
    allergies: tuple[AllergyFact, ...]
    other_medications: tuple[OtherMedication, ...]
    active_baclofen: tuple[BaclofenOrder, ...]
    last_hepatic_test: date | None
    last_glucose_test: date | None
    pregnancy: StatusObservation | None
    lactation: StatusObservation | None
    last_renal_test: date | None = None  # latest CrCl, eGFR or creatinine, however old
    # Records that could not be obtained, with the reason ("timeout", "HTTP 401"...).
    unavailable: Mapping[RecordKind, str] = field(default_factory=dict)

    def conditions_in(
        self, value_set: str, statuses: tuple[ClinicalStatus, ...] = (ClinicalStatus.ACTIVE,)
    ) -> list[ConditionFact]:
        return [c for c in self.conditions if value_set in c.value_sets and c.status in statuses]

    def medications_in(self, drug_class: str) -> list[OtherMedication]:
        return [m for m in self.other_medications if drug_class in m.classes]


@dataclass(frozen=True)
class OrderContext:
    """One baclofen order under evaluation, with what it changes.

    Start, established and change are judged per route: an oral order beside an intrathecal
    pump is an oral start, and an oral dose is never compared with an intrathecal one.
    """

    order: BaclofenOrder
    # The established order of the same route this one continues or changes
    # (priorPrescription, the same id, or the most recent active order of that route). In
    # patient-view the active order under evaluation is its own current order. None for a
    # new start, and when the medication history is unknown.
    current: BaclofenOrder | None
    # Active baclofen orders (any route) that stay active alongside this one.
    remaining: tuple[BaclofenOrder, ...]
    # Other baclofen drafts of the same session, ordered before this one.
    sibling_drafts: tuple[BaclofenOrder, ...] = ()
    # False when the medication list could not be obtained: whether this order starts or
    # changes therapy is then unknown, and is never assumed to be a start.
    history_known: bool = True
    # For a new start: the new-start drafts of this route in the call, this one included,
    # in order. The start rules judge them once, on their combined daily dose.
    start_group: tuple[BaclofenOrder, ...] = ()

    @property
    def is_new_start(self) -> bool:
        if not self.history_known or self.current is not None:
            return False
        return not any(o.route is self.order.route for o in self.remaining)

    @property
    def leads_start_group(self) -> bool:
        """The first draft of its start group: where the start rules report for all of it."""
        return self.is_new_start and (not self.start_group or self.start_group[0] is self.order)
