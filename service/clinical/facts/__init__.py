"""FHIR resources in, typed facts out: the only part of the core that reads FHIR JSON."""

from service.clinical.facts.build import HookFacts, build_facts
from service.clinical.facts.model import (
    Age,
    AllergyFact,
    BaclofenOrder,
    ClinicalStatus,
    ConditionFact,
    Measurement,
    OrderContext,
    OtherMedication,
    PatientFacts,
    StatusAnswer,
    StatusObservation,
)

__all__ = [
    "Age",
    "AllergyFact",
    "BaclofenOrder",
    "ClinicalStatus",
    "ConditionFact",
    "HookFacts",
    "Measurement",
    "OrderContext",
    "OtherMedication",
    "PatientFacts",
    "StatusAnswer",
    "StatusObservation",
    "build_facts",
]
