"""One call's answer: the clinical core's findings on a case, presented as cards."""

from __future__ import annotations

from dataclasses import dataclass

from cds_hooks.response import Card
from service.clinical.assess import Assessment, assess
from service.clinical.case import ClinicalCase
from service.clinical.findings import Finding
from service.clinical.knowledge import Knowledge
from service.observability.card_record import CardRecord
from service.present.links import Links
from service.present.presenter import Presentation, present

__all__ = ["Answer", "answer"]


@dataclass(frozen=True)
class Answer:
    assessment: Assessment
    presentation: Presentation

    @property
    def findings(self) -> list[Finding]:
        return self.assessment.findings

    @property
    def cards(self) -> list[Card]:
        return self.presentation.cards

    @property
    def issued(self) -> list[CardRecord]:
        return self.presentation.issued

    @property
    def rule_codes(self) -> list[str]:
        return [card.rule for card in self.issued]


def answer(case: ClinicalCase, knowledge: Knowledge, links: Links) -> Answer:
    assessment = assess(case, knowledge)
    return Answer(assessment, present(assessment, knowledge, links))
