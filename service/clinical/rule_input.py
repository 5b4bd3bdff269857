"""What every rule (and every suggestion builder) receives: the patient, one order and what it
changes, the knowledge, and the trigger."""

from __future__ import annotations

from dataclasses import dataclass

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.facts import BaclofenOrder, OrderContext, PatientFacts
from service.clinical.knowledge import Knowledge


@dataclass(frozen=True)
class RuleInput:
    patient: PatientFacts
    context: OrderContext
    knowledge: Knowledge
    patient_view: bool

    @property
    def order(self) -> BaclofenOrder:
        return self.context.order

    @property
    def is_oral(self) -> bool:
        return self.order.dose.kind is DoseKind.ORAL

    @property
    def is_intrathecal(self) -> bool:
        return self.order.dose.kind is DoseKind.INTRATHECAL
