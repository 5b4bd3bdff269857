"""Driving the app with its store: a running app, cards issued through the hook, feedback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

SIGN = "/cds-services/baclofen-order-sign"
FEEDBACK = f"{SIGN}/feedback"


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started (store migrated, recorder running) and a client of it; then stopped."""
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        yield http


async def issue_cards(http: httpx.AsyncClient, request: dict[str, Any]) -> list[dict[str, Any]]:
    response = await http.post(SIGN, json=request)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    assert cards, "the scenario must raise cards"
    return cards


def item(
    card: str,
    outcome: str = "overridden",
    at: str = "2026-11-23T10:00:00Z",
    reason: str | None = "patient-tolerates",
    **extra: Any,
) -> dict[str, Any]:
    """One feedback item as an EHR sends it."""
    entry: dict[str, Any] = {"card": card, "outcome": outcome, "outcomeTimestamp": at}
    if outcome == "accepted":
        entry["acceptedSuggestions"] = [{"id": "suggestion-1"}]
    elif reason is not None:
        entry["overrideReason"] = {
            "reason": {
                "code": reason,
                "system": "http://terminology.cds-hooks.org/CodeSystem/override-reasons",
                "display": reason.replace("-", " "),
            }
        }
    entry.update(extra)
    return entry
