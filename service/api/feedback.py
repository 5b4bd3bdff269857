"""``POST /cds-services/{id}/feedback``: what became of the cards (CDS Hooks 2.0 §Feedback).

Every item of a call is checked before any is stored: one bad item refuses the whole call
(400 naming the item), so a client never has to guess which of its items went in. Items are
stored once however often they are delivered, and kept even when they name a card this
service has no record of (flagged in the answer), up to an allowance per client
(``service.store.feedback``). Feedback counts only for cards issued to the client that sends
it: another client's card is unknown to it.

``cardKnown`` is what this instance knows at receipt: the card's row, or the card waiting in
this process's advice queue. With several replicas, a card issued by another one a moment
earlier may still be on its way and show as unknown. Nothing depends on the flag: analytics
join feedback to cards by uuid when they read, so the link is made whichever row comes first.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from cds_hooks.errors import CdsHooksError, bad_request, validation_issues
from cds_hooks.feedback import FeedbackItem, FeedbackRequest
from service.api.body import read_json
from service.api.dependencies import AdviceRecorderDep, EvaluatorDep, SettingsDep, StoreDep
from service.api.responses import JsonResponse
from service.api.security import authenticate
from service.api.store_errors import store_unavailable
from service.observability.metrics import FEEDBACK
from service.store import StoreUnavailable
from service.store.feedback import FeedbackRecord
from service.store.scope import ClientScope

router = APIRouter()
log = logging.getLogger("baclofen_cds.feedback")


def parse_feedback(body: Any) -> list[FeedbackItem]:
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object", code="structure")
    try:
        return FeedbackRequest.model_validate(body).feedback
    except ValidationError as error:
        raise CdsHooksError(400, validation_issues(error.errors())) from None


@router.post("/cds-services/{service_id}/feedback", summary="Report what became of cards")
async def receive_feedback(
    service_id: str,
    request: Request,
    settings: SettingsDep,
    evaluator: EvaluatorDep,
    store: StoreDep,
    advice_recorder: AdviceRecorderDep,
) -> Response:
    caller = await authenticate(request)
    evaluator.service(service_id)  # 404 for an unknown service
    items = parse_feedback(
        await read_json(request, settings.max_body_bytes, settings.body_timeout_s)
    )
    received_at = datetime.now(UTC)
    scope = ClientScope(caller.issuer, caller.tenant)
    records = [
        FeedbackRecord.from_item(
            service_id, item, client=caller.issuer, tenant=caller.tenant, received_at=received_at
        )
        for item in items
    ]
    cards = [record.card_uuid for record in records]
    # Taken before the store is read: the recorder forgets a card only after its row is
    # committed, so a card it has forgotten by then is visible to the read. The other order
    # would call a card unknown when its row commits during the read.
    pending = advice_recorder.pending(cards, scope)
    try:
        result = await store.record_feedback(records, scope, pending)
    except StoreUnavailable as error:
        log.error("feedback refused: store unavailable", extra={"error": str(error)})
        # "Send it again" is always safe: a repeated item is stored once.
        raise store_unavailable(
            "the feedback store is unavailable; send the same feedback again later"
        ) from None
    stored = result.stored
    known = result.known_cards

    for record, is_new in zip(records, stored, strict=True):
        FEEDBACK.labels(
            service=service_id, outcome=record.outcome, stored=str(is_new).lower()
        ).inc()
    answer = [
        {
            "card": record.card_uuid,
            "outcome": record.outcome,
            "status": status,
            "cardKnown": record.card_uuid in known,
        }
        for record, status in zip(records, result.statuses, strict=True)
    ]
    if "not-stored" in result.statuses:
        log.warning(
            "feedback on unknown cards not stored: the client's allowance is spent",
            extra={"service": service_id, "iss": caller.issuer, "items": len(records)},
        )
    # Counts only: an unknown "card" is whatever text the client sent, not our uuid.
    log.info(
        "feedback received",
        extra={
            "service": service_id,
            "items": len(records),
            "stored": sum(stored),
            "unknown_cards": sum(1 for card in cards if card not in known),
        },
    )
    return JsonResponse({"feedback": answer})
