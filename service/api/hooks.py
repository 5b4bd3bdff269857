"""``POST /cds-services/{id}``: invoke a service."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from service.api.access import annotate
from service.api.body import read_json
from service.api.dependencies import AdviceRecorderDep, EvaluatorDep, SettingsDep
from service.api.responses import JsonResponse
from service.api.security import authenticate
from service.observability.metrics import count_evaluation
from service.pipeline.evaluator import PatientUnobtainable
from service.store.scope import ClientScope

router = APIRouter()


@router.post("/cds-services/{service_id}", summary="Invoke a CDS service")
async def invoke(
    service_id: str,
    request: Request,
    settings: SettingsDep,
    evaluator: EvaluatorDep,
    advice_recorder: AdviceRecorderDep,
) -> Response:
    evaluator.service(service_id)  # 404 before reading a body we would not use
    caller = await authenticate(request)  # nor a body from a caller we do not trust
    body = await read_json(request, settings.max_body_bytes, settings.body_timeout_s)
    try:
        result = await evaluator.evaluate(service_id, body, caller)
    except PatientUnobtainable as refusal:
        # A 412 is what EHRs show as nothing at all: its line must say which call and why.
        annotate(
            request,
            hook_instance=refusal.hook_instance,
            fetched=refusal.fetched,
            unavailable=refusal.unavailable,
        )
        raise
    # Queued for the store, never awaited: a slow or absent database cannot delay the answer.
    advice_recorder.record(
        service_id,
        result.service.hook,
        result.hook_instance,
        result.issued,
        ClientScope(caller.issuer, caller.tenant),  # only its feedback will count for them
    )
    count_evaluation(service_id, result.evaluation_ms / 1000, result.issued)
    # On the request's one access line (service.api.access), with its status and duration:
    # hookInstance, rule codes, timings and prefetch key names only, never patient data.
    annotate(
        request,
        hook_instance=result.hook_instance,
        rule_codes=result.rule_codes,
        evaluation_ms=round(result.evaluation_ms, 2),
        fetched=result.fetched,
        unavailable=sorted(result.unavailable),
    )
    return JsonResponse(result.response.to_json_dict())
