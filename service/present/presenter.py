"""An assessment becomes the cards of the answer, each one known by what it was issued for."""

from __future__ import annotations

from dataclasses import dataclass

from cds_hooks.response import Card
from service.clinical.assess import Assessment
from service.clinical.knowledge import Knowledge
from service.observability.card_record import CardRecord
from service.present.cards import CardSettings, card_of, in_answer_order
from service.present.links import Links

__all__ = ["Presentation", "present"]


@dataclass(frozen=True)
class Presentation:
    cards: list[Card]  # in the order of the answer
    issued: list[CardRecord]  # the same cards, for the service's records


def present(assessment: Assessment, knowledge: Knowledge, links: Links) -> Presentation:
    case = assessment.case
    settings = CardSettings(case.patient_id, case.today, links)
    cards: list[Card] = []
    issued: list[CardRecord] = []
    for finding in in_answer_order(assessment.findings, knowledge):
        card = card_of(finding, settings, knowledge)
        cards.append(card)
        issued.append(CardRecord(card.uuid, finding.rule, finding.indicator))
    return Presentation(cards, issued)
