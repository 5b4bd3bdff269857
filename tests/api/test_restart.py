"""The record survives a restart of the service: a real server process, stopped and started."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.api.store_client import FEEDBACK, SIGN, item
from tests.servers import serving

Scenario = Callable[[str], dict[str, Any]]


def test_advice_and_feedback_survive_a_restart(
    database_url: str, scenario: Scenario, tmp_path: Path
) -> None:
    env = {"BACLOFEN_CDS_DATABASE_URL": database_url}
    with serving(tmp_path, env) as server:
        base = server.base
        cards = httpx.post(f"{base}{SIGN}", json=scenario("03"), timeout=10).json()["cards"]
        body = {"feedback": [item(cards[0]["uuid"])]}
        assert httpx.post(f"{base}{FEEDBACK}", json=body, timeout=10).status_code == 200
        # Stopped at once: cards still queued in the recorder are written on the way out.

    with serving(tmp_path, env) as server:
        base = server.base
        rules = httpx.get(f"{base}/analytics/rules", timeout=10).json()["rules"]
        again = httpx.post(f"{base}{FEEDBACK}", json=body, timeout=10).json()

    assert sorted((r["rule"], r["issued"], r["overridden"]) for r in rules) == sorted(
        (card["source"]["topic"]["code"], 1, int(card is cards[0])) for card in cards
    )
    assert again["feedback"][0]["status"] == "duplicate"
