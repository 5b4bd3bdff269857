"""Driving the app with its store: cards issued through the hook, feedback as EHRs send it."""

from __future__ import annotations

from typing import Any

import httpx

SIGN = "/cds-services/baclofen-order-sign"
FEEDBACK = f"{SIGN}/feedback"


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
