"""``POST /cds-services/{id}``: invoke a service."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request
from starlette.responses import Response

from service.api.body import read_json
from service.api.responses import JsonResponse
from service.api.security import authenticate

router = APIRouter()
log = logging.getLogger("baclofen_cds.hooks")


@router.post("/cds-services/{service_id}", summary="Invoke a CDS service")
async def invoke(service_id: str, request: Request) -> Response:
    started = time.perf_counter()
    state = request.app.state
    evaluator = state.evaluator
    evaluator.service(service_id)  # 404 before reading a body we would not use
    caller = await authenticate(request)  # nor a body from a caller we do not trust
    body = await read_json(request, state.settings.max_body_bytes)
    result = await evaluator.evaluate(service_id, body, caller)
    # Queued for the store, never awaited: a slow or absent database cannot delay the answer.
    state.advice_recorder.record(
        service_id, result.service.hook, result.hook_instance, result.response.cards
    )
    duration_ms = (time.perf_counter() - started) * 1000
    # hookInstance, service, rule codes and timings only: never patient data or tokens.
    log.info(
        "hook answered",
        extra={
            "hook_instance": result.hook_instance,
            "service": service_id,
            "rule_codes": result.rule_codes,
            "duration_ms": round(duration_ms, 2),
            "evaluation_ms": round(result.evaluation_ms, 2),
            "fetched": result.fetched,
            "unavailable": sorted(result.unavailable),
        },
    )
    return JsonResponse(result.response.to_json_dict())
