"""Readiness: 503 once shutdown has begun, while the service finishes its work."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from service.api.dependencies import services_of_app


async def test_readiness_fails_from_the_start_of_shutdown(
    make_app: Callable[..., FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    stopping, release = asyncio.Event(), asyncio.Event()

    evaluator = services_of_app(app).evaluator
    close_evaluator = evaluator.aclose

    async def slow_close() -> None:  # among the last steps: parts stop in reverse order
        stopping.set()
        await release.wait()
        await close_evaluator()

    monkeypatch.setattr(evaluator, "aclose", slow_close)
    lifespan = app.router.lifespan_context(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        await lifespan.__aenter__()
        assert (await http.get("/readyz")).status_code == 200
        shutdown = asyncio.create_task(lifespan.__aexit__(None, None, None))
        try:
            await asyncio.wait_for(stopping.wait(), 10)
            response = await http.get("/readyz")
        finally:
            release.set()
            await shutdown
    assert response.status_code == 503
    assert response.json()["checks"] == {"knowledge": "ok", "process": "shutting down"}
