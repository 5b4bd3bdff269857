"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from service.api.responses import JsonResponse

router = APIRouter()


@router.get("/healthz", summary="Liveness")
async def healthz() -> Response:
    return JsonResponse({"status": "ok"})


@router.get("/readyz", summary="Readiness: knowledge loaded, store reachable")
async def readyz(request: Request) -> Response:
    knowledge = getattr(request.app.state, "knowledge", None)
    checks = {"knowledge": "ok" if knowledge is not None else "not loaded"}
    if getattr(request.app.state, "shutting_down", False):
        # New work belongs on another replica; the store may be closing: not asked.
        checks["process"] = "shutting down"
    else:
        store = getattr(request.app.state, "store", None)
        checks["store"] = await store.readiness() if store is not None else "not configured"
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    if knowledge is not None:
        body["knowledgeVersion"] = knowledge.version
    return JsonResponse(body, status_code=200 if ready else 503)
