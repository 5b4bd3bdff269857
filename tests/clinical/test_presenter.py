"""The presenter: findings become cards whose links point where ``Links`` says, and each card
issued is known by its uuid, rule and indicator without reading the card back."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.clinical.assess import Assessment, assess
from service.clinical.knowledge import Knowledge
from service.pipeline.examples import find_fixture
from service.present.presenter import present
from service.present.schedule_codec import PrintableSchedule
from tests.clinical.conftest import case_of


@dataclass
class RecordingLinks:
    """Links of a serving side of its own; None for schedules when it offers no such page."""

    offers_schedules: bool = True
    schedules: list[PrintableSchedule] = field(default_factory=list)

    def rule_page(self, rule: str) -> str:
        return f"https://rules.example/{rule}"

    def printable_schedule(self, printable: PrintableSchedule) -> str | None:
        self.schedules.append(printable)
        return f"https://print.example/{len(self.schedules)}" if self.offers_schedules else None


def new_start_assessment(knowledge: Knowledge) -> Assessment:
    fixture = find_fixture("02")  # a new start: a titration plan with a printable schedule
    return assess(case_of(fixture.request, fixture.evaluation_date), knowledge)


def test_cards_link_where_the_links_say(knowledge: Knowledge) -> None:
    links = RecordingLinks()
    cards = present(new_start_assessment(knowledge), knowledge, links).cards
    assert cards
    assert {card.source.url for card in cards} == {
        f"https://rules.example/{card.source.topic.code}" for card in cards if card.source.topic
    }
    schedule_links = [link for card in cards for link in card.links]
    assert [link.url for link in schedule_links] == ["https://print.example/1"]
    assert links.schedules[0].schedule.kind.value == "titration"


def test_no_schedule_page_no_schedule_link(knowledge: Knowledge) -> None:
    cards = present(
        new_start_assessment(knowledge), knowledge, RecordingLinks(offers_schedules=False)
    ).cards
    assert cards and all(not card.links for card in cards)


def test_each_card_is_issued_with_its_uuid_rule_and_indicator(knowledge: Knowledge) -> None:
    presentation = present(new_start_assessment(knowledge), knowledge, RecordingLinks())
    assert [(i.uuid, i.rule, i.indicator) for i in presentation.issued] == [
        (card.uuid, card.source.topic.code if card.source.topic else "", card.indicator.value)
        for card in presentation.cards
    ]
