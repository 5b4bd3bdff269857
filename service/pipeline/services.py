"""The three CDS services of the contract and their prefetch templates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from cds_hooks.discovery import ServiceDescriptor
from service.clinical.knowledge import Knowledge
from service.clinical.records import RecordKind
from service.clinical.trigger import Trigger


@dataclass(frozen=True)
class CdsService:
    id: str
    hook: str
    title: str
    description: str
    trigger: Trigger

    def descriptor(self, prefetch: dict[str, str]) -> ServiceDescriptor:
        return ServiceDescriptor(
            hook=self.hook,
            id=self.id,
            title=self.title,
            description=self.description,
            prefetch=prefetch,
            usageRequirements=USAGE,
        )


USAGE = (
    "Register for baclofen orders. Grant read access to Patient, MedicationRequest, Condition, "
    "Observation and AllergyIntolerance, or fill every prefetch key. Calls carry a signed JWT."
)

SERVICES: dict[str, CdsService] = {
    service.id: service
    for service in (
        CdsService(
            id="baclofen-order-select",
            hook="order-select",
            title="Baclofen order check (on selection)",
            description=(
                "Checks the selected baclofen orders: dose limits by age, weight and kidney "
                "function, titration, contraindications and interactions; suggests corrected "
                "doses, titration and taper schedules."
            ),
            trigger=Trigger.ORDER_WRITTEN,
        ),
        CdsService(
            id="baclofen-order-sign",
            hook="order-sign",
            title="Baclofen order check (at signing)",
            description=(
                "Checks every baclofen order about to be signed: dose limits by age, weight and "
                "kidney function, titration and withdrawal, contraindications and interactions; "
                "suggests corrected doses, titration and taper schedules."
            ),
            trigger=Trigger.ORDER_WRITTEN,
        ),
        CdsService(
            id="baclofen-patient-view",
            hook="patient-view",
            title="Baclofen therapy review",
            description=(
                "Reviews the patient's active baclofen orders when the chart opens: dose limits, "
                "contraindications, interactions and overdue monitoring."
            ),
            trigger=Trigger.CHART_OPENED,
        ),
    )
}


# The prefetch key of each record the clinical core reads: the contract's names, turned into
# the core's record kinds here (``by_record_kind``) and nowhere else.
PREFETCH_KEYS: dict[RecordKind, str] = {
    RecordKind.PATIENT: "patient",
    RecordKind.MEDICATIONS: "medications",
    RecordKind.CONDITIONS: "conditions",
    RecordKind.OBSERVATIONS: "observations",
    RecordKind.ALLERGIES: "allergies",
}
PATIENT_KEY = PREFETCH_KEYS[RecordKind.PATIENT]
_RECORD_KINDS = {key: kind for kind, key in PREFETCH_KEYS.items()}

_Value = TypeVar("_Value")


def prefetch_templates(knowledge: Knowledge) -> dict[str, str]:
    """The five prefetch keys of the contract; observations ask only for the codes rules read."""
    codes = ",".join(knowledge.observation_codes)
    queries = {
        RecordKind.PATIENT: "Patient/{{context.patientId}}",
        RecordKind.MEDICATIONS: (
            "MedicationRequest?patient={{context.patientId}}&status=active,on-hold"
        ),
        RecordKind.CONDITIONS: "Condition?patient={{context.patientId}}",
        RecordKind.OBSERVATIONS: (
            f"Observation?patient={{{{context.patientId}}}}&code={codes}&_sort=-date"
        ),
        RecordKind.ALLERGIES: "AllergyIntolerance?patient={{context.patientId}}",
    }
    return {PREFETCH_KEYS[kind]: query for kind, query in queries.items()}


def by_record_kind(by_key: Mapping[str, _Value]) -> dict[RecordKind, _Value]:
    """Values keyed by prefetch key, keyed by the record kind each key holds (other keys are
    none of the core's business and are left out)."""
    return {_RECORD_KINDS[key]: value for key, value in by_key.items() if key in _RECORD_KINDS}


def trigger_of_hook(hook: str) -> Trigger:
    """The clinical trigger a CDS Hooks hook name stands for."""
    return Trigger.CHART_OPENED if hook == "patient-view" else Trigger.ORDER_WRITTEN
