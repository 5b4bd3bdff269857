"""What every rule (and every suggestion builder) receives: the patient, one order and what it
changes, the knowledge, and the trigger; or, for a rule about the answer as a whole, every
order at once."""

from __future__ import annotations

from dataclasses import dataclass

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.facts import BaclofenOrder, HookFacts, OrderContext, PatientFacts
from service.clinical.findings import Finding
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


@dataclass(frozen=True)
class AnswerInput:
    """What a rule about the answer as a whole receives: every order of the call at once, and
    the findings of the answer so far (every order's, then the answer rules' before it)."""

    facts: HookFacts
    knowledge: Knowledge
    trigger: Trigger
    findings: tuple[Finding, ...] = ()

    @property
    def chart_opened(self) -> bool:
        return self.trigger is Trigger.CHART_OPENED

    def input_for(self, index: int) -> RuleInput:
        """The per-order input of the ``index``-th order under evaluation."""
        return RuleInput(self.facts.patient, self.facts.orders[index], self.knowledge, self.trigger)
