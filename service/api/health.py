"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from service.api.dependencies import KnowledgeDep, ShutdownDep, StoreDep
from service.api.responses import JsonResponse

router = APIRouter()


@router.get("/healthz", summary="Liveness")
async def healthz() -> Response:
    return JsonResponse({"status": "ok"})


@router.get("/readyz", summary="Readiness: knowledge loaded, store reachable")
async def readyz(knowledge: KnowledgeDep, store: StoreDep, shutdown: ShutdownDep) -> Response:
    # The knowledge base is loaded (and checked) before the application exists.
    checks = {"knowledge": "ok"}
    if shutdown.begun:
        # New work belongs on another replica; the store may be closing: not asked.
        checks["process"] = "shutting down"
    else:
        checks["store"] = await store.readiness()
    ready = all(value == "ok" for value in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        "knowledgeVersion": knowledge.version,
    }
    return JsonResponse(body, status_code=200 if ready else 503)
