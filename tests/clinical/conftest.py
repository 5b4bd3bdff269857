"""Run the clinical core directly on a request: no HTTP, no parsing, a pinned date."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from cds_hooks.response import Card
from service.clinical.case import ClinicalCase
from service.clinical.knowledge import Knowledge
from service.pipeline.answer import Answer, answer
from service.pipeline.draft_orders import normalise_draft_orders
from service.pipeline.evaluator import Evaluator
from service.pipeline.examples import Fixture
from service.pipeline.services import by_record_kind, trigger_of_hook
from service.present.links import ServiceLinks
from service.present.schedule_codec import LinkSigner
from tests.conftest import PUBLIC_BASE_URL, TEST_LINK_KEY
from tests.factories import TODAY

Assess = Callable[..., Answer]
TEST_SIGNER = LinkSigner([TEST_LINK_KEY.encode()])
TEST_LINKS = ServiceLinks("https://cds.example.org", TEST_SIGNER)


def case_of(
    request: dict[str, Any],
    today: dt.date = TODAY,
    unavailable: dict[str, str] | None = None,
    *,
    draft_orders: Any = None,
) -> ClinicalCase:
    """The case a CDS Hooks request puts to the core; ``unavailable`` by prefetch key."""
    context = request["context"]
    return ClinicalCase(
        today=today,
        patient_id=context["patientId"],
        records=by_record_kind(request.get("prefetch") or {}),
        unavailable=by_record_kind(unavailable or {}),
        trigger=trigger_of_hook(request["hook"]),
        draft_orders=draft_orders if draft_orders is not None else context.get("draftOrders"),
        selections=context.get("selections"),
    )


@pytest.fixture
def run(knowledge: Knowledge) -> Assess:
    def evaluate(
        request: dict[str, Any], today: dt.date = TODAY, unavailable: dict[str, str] | None = None
    ) -> Answer:
        return answer(case_of(request, today, unavailable), knowledge, TEST_LINKS)

    return evaluate


def cards_by_code(answered: Answer) -> dict[str, Card]:
    return {card.source.topic.code: card for card in answered.cards if card.source.topic}


def action_resource(card: Card, suggestion: int = 0, action: int = 0) -> dict[str, Any]:
    resource = card.suggestions[suggestion].actions[action].resource
    assert resource is not None
    return resource


@pytest.fixture
def fired(run: Assess) -> Callable[..., dict[str, str]]:
    """rule code -> indicator for a request."""

    def codes(request: dict[str, Any], **kwargs: Any) -> dict[str, str]:
        return {
            c.source.topic.code: c.indicator.value
            for c in run(request, **kwargs).cards
            if c.source.topic
        }

    return codes


def assess_fixture(
    knowledge: Knowledge, fixture: Fixture, request: dict[str, Any] | None = None
) -> Answer:
    """The clinical core on a fixture's request (or a variant of it), at its evaluation date,
    with the draft orders repaired and validated as the HTTP pipeline does."""
    request = request if request is not None else fixture.request
    drafts = request["context"].get("draftOrders")
    case = case_of(
        request,
        fixture.evaluation_date,
        draft_orders=normalise_draft_orders(drafts) if drafts else None,
    )
    return answer(case, knowledge, TEST_LINKS)


async def pipeline_answer(knowledge: Knowledge, fixture: Fixture) -> dict[str, Any]:
    """A fixture's answer as the service sends it, through the evaluation pipeline (parsing,
    prefetch, core, cards) without HTTP: at the fixture's evaluation date, with the tests'
    public base URL and link key, as the application the tests build has them."""
    evaluator = Evaluator(
        knowledge,
        base_url=PUBLIC_BASE_URL,
        clock=lambda: fixture.evaluation_date,
        link_signer=TEST_SIGNER,
    )
    try:
        result = await evaluator.evaluate(fixture.service, copy.deepcopy(fixture.request))
    finally:
        await evaluator.aclose()
    return result.response.to_json_dict()
