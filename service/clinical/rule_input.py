"""What every rule (and every suggestion builder) receives: the patient, one order and what it
changes, the knowledge, and the trigger."""

from __future__ import annotations

from dataclasses import dataclass

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.facts import BaclofenOrder, OrderContext, PatientFacts
from service.clinical.knowledge import Knowledge
from service.clinical.trigger import Trigger


@dataclass(frozen=True)
class RuleInput:
    patient: PatientFacts
    context: OrderContext
    knowledge: Knowledge
    trigger: Trigger

    @property
    def chart_opened(self) -> bool:
        """A chart is being opened: the active orders are reviewed, nothing is changed."""
        return self.trigger is Trigger.CHART_OPENED

    @property
    def order(self) -> BaclofenOrder:
        return self.context.order

    @property
    def is_oral(self) -> bool:
        return self.order.dose.kind is DoseKind.ORAL

    @property
    def is_intrathecal(self) -> bool:
        return self.order.dose.kind is DoseKind.INTRATHECAL
