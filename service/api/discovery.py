"""``GET /cds-services``: the discovery document."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from cds_hooks.discovery import DiscoveryResponse
from service.api.dependencies import EvaluatorDep
from service.api.responses import JsonResponse
from service.api.security import authenticate_discovery
from service.pipeline.services import SERVICES

router = APIRouter()


@router.get("/cds-services", summary="CDS Hooks discovery")
async def discovery(request: Request, evaluator: EvaluatorDep) -> Response:
    await authenticate_discovery(request)
    document = DiscoveryResponse(
        services=[service.descriptor(evaluator.templates) for service in SERVICES.values()]
    )
    return JsonResponse(document.to_json_dict())
