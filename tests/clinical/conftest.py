"""Run the clinical core directly on a request: no HTTP, no parsing, a pinned date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from cds_hooks.response import Card
from service.clinical.assess import Assessment, assess
from service.clinical.knowledge import Knowledge
from service.clinical.trigger import Trigger
from service.pipeline.draft_orders import normalise_draft_orders
from service.pipeline.examples import Fixture
from service.present.schedule_codec import LinkSigner
from tests.conftest import TEST_LINK_KEY
from tests.factories import TODAY

Assess = Callable[..., Assessment]
TEST_SIGNER = LinkSigner([TEST_LINK_KEY.encode()])


@pytest.fixture
def run(knowledge: Knowledge) -> Assess:
    def evaluate(
        request: dict[str, Any], today: dt.date = TODAY, unavailable: dict[str, str] | None = None
    ) -> Assessment:
        context = request["context"]
        return assess(
            knowledge=knowledge,
            today=today,
            patient_id=context["patientId"],
            prefetch=request.get("prefetch") or {},
            unavailable=unavailable or {},
            base_url="https://cds.example.org",
            draft_orders=context.get("draftOrders"),
            selections=context.get("selections"),
            trigger=Trigger.CHART_OPENED
            if request["hook"] == "patient-view"
            else Trigger.ORDER_WRITTEN,
            link_signer=TEST_SIGNER,
        )

    return evaluate


def cards_by_code(assessment: Assessment) -> dict[str, Card]:
    return {card.source.topic.code: card for card in assessment.cards if card.source.topic}


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
) -> Assessment:
    """The clinical core on a fixture's request (or a variant of it), at its evaluation date,
    with the draft orders repaired and validated as the HTTP pipeline does."""
    request = request if request is not None else fixture.request
    context = request["context"]
    drafts = context.get("draftOrders")
    return assess(
        knowledge=knowledge,
        today=fixture.evaluation_date,
        patient_id=context["patientId"],
        prefetch=request.get("prefetch") or {},
        unavailable={},
        base_url="https://cds.example.org",
        draft_orders=normalise_draft_orders(drafts) if drafts else None,
        selections=context.get("selections"),
        trigger=Trigger.CHART_OPENED
        if request["hook"] == "patient-view"
        else Trigger.ORDER_WRITTEN,
        link_signer=TEST_SIGNER,
    )
