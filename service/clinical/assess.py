"""The clinical core's one entry point: facts in, cards out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cds_hooks.response import Card
from service.clinical.facts import build_facts
from service.clinical.findings import Finding
from service.clinical.knowledge import Knowledge
from service.clinical.rules import evaluate
from service.clinical.trigger import Trigger
from service.present.cards import CardSettings, build_cards
from service.present.schedule_codec import LinkSigner


@dataclass(frozen=True)
class Assessment:
    cards: list[Card]
    findings: list[Finding]


def assess(
    *,
    knowledge: Knowledge,
    today: date,
    patient_id: str,
    prefetch: Mapping[str, Any],
    unavailable: Mapping[str, str],
    base_url: str,
    draft_orders: Any = None,
    selections: Sequence[str] | None = None,
    trigger: Trigger = Trigger.ORDER_WRITTEN,
    link_signer: LinkSigner | None = None,
) -> Assessment:
    facts = build_facts(
        today=today,
        patient_id=patient_id,
        prefetch=prefetch,
        unavailable=unavailable,
        knowledge=knowledge,
        draft_orders=draft_orders,
        selections=selections,
        trigger=trigger,
    )
    findings = evaluate(facts, knowledge, trigger=trigger)
    settings = CardSettings(base_url, patient_id, today, link_signer)
    cards = build_cards(findings, settings, knowledge)
    return Assessment(cards, findings)
