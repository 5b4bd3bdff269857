"""GET /analytics/rules: the contract's JSON, CSV on request, and clear refusals."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.api.dependencies import services_of_app
from tests.api.store_client import FEEDBACK, issue_cards, item
from tests.api.test_errors import assert_outcome

Scenario = Callable[[str], dict[str, Any]]


async def _issue_and_override(
    app: FastAPI, client: httpx.AsyncClient, scenario: Scenario
) -> list[dict[str, Any]]:
    cards = await issue_cards(client, scenario("03"))
    await services_of_app(app).advice_recorder.flush()
    await client.post(FEEDBACK, json={"feedback": [item(cards[0]["uuid"])]})
    return cards


async def test_json_rows_follow_the_contract(
    app: FastAPI, client: httpx.AsyncClient, scenario: Scenario
) -> None:
    cards = await _issue_and_override(app, client, scenario)
    response = await client.get("/analytics/rules")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    rows = response.json()["rules"]
    assert {(row["service"], row["rule"]) for row in rows} == {
        ("baclofen-order-sign", card["source"]["topic"]["code"]) for card in cards
    }
    overridden = next(row for row in rows if row["rule"] == cards[0]["source"]["topic"]["code"])
    assert overridden == {
        "service": "baclofen-order-sign",
        "rule": cards[0]["source"]["topic"]["code"],
        "issued": 1,
        "accepted": 0,
        "overridden": 1,
        "overrideRate": 1.0,
        "topOverrideReasons": [
            {"code": "patient-tolerates", "display": "patient tolerates", "count": 1}
        ],
    }


async def test_csv_has_the_same_rows(
    app: FastAPI, client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await _issue_and_override(app, client, scenario)
    as_json = (await client.get("/analytics/rules")).json()["rules"]
    response = await client.get("/analytics/rules", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["service"], r["rule"], int(r["issued"]), int(r["overridden"])) for r in table] == [
        (r["service"], r["rule"], r["issued"], r["overridden"]) for r in as_json
    ]
    assert [float(r["overrideRate"]) for r in table] == [r["overrideRate"] for r in as_json]
    assert "patient-tolerates=1" in {r["topOverrideReasons"] for r in table}


async def test_the_window_filters_by_issue_time(
    app: FastAPI, client: httpx.AsyncClient, scenario: Scenario
) -> None:
    await _issue_and_override(app, client, scenario)
    now = datetime.now(UTC)
    inside = {"since": (now - timedelta(hours=1)).isoformat(), "until": now.isoformat()}
    after = {"since": (now + timedelta(hours=1)).isoformat()}
    assert len((await client.get("/analytics/rules", params=inside)).json()["rules"]) == 3
    assert (await client.get("/analytics/rules", params=after)).json() == {"rules": []}


async def test_an_empty_store_answers_no_rows(client: httpx.AsyncClient) -> None:
    assert (await client.get("/analytics/rules")).json() == {"rules": []}


@pytest.mark.parametrize(
    ("query", "mention"),
    [
        ("format=xml", "format must be json or csv"),
        ("since=last-week", "since is not an ISO 8601"),
        ("until=2026-11-01T00:00:00 01:00", "write + as %2B"),
        ("since=2026-11-02&until=2026-11-01", "since must be earlier than until"),
        # Were 500s: instants beyond what a UTC conversion or the database holds.
        ("since=0001-01-01", "since must lie between 1970 and 3000"),
        ("since=0001-01-01T00:00:00%2B01:00", "since must lie between 1970 and 3000"),
        ("until=9999-12-31", "until must lie between 1970 and 3000"),
        ("until=9999-12-31T23:59:59-05:00", "until must lie between 1970 and 3000"),
    ],
)
async def test_bad_queries_are_400(client: httpx.AsyncClient, query: str, mention: str) -> None:
    assert_outcome(await client.get(f"/analytics/rules?{query}"), 400, mention)
