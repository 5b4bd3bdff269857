"""Readiness: 503 once shutdown has begun, while the service finishes its work."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from fastapi import FastAPI


async def test_readiness_fails_from_the_start_of_shutdown(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app()
    stopping, release = asyncio.Event(), asyncio.Event()

    async def last_shutdown_step() -> None:  # runs last: shutdown steps run in reverse
        stopping.set()
        await release.wait()

    app.state.on_shutdown.insert(0, last_shutdown_step)
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
