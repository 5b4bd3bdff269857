"""Feedback and analytics are scoped to the EHR a card was issued to; stored codes are short.

Found by a penetration test: issuer B recorded outcomes on issuer A's cards; 4.5 KB reason
codes flooded the store; and a reason code of ``=HYPERLINK(...)`` or ``@SUM(...)`` became a
live formula in ``/analytics/rules?format=csv``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.api.dependencies import services_of_app
from service.clinical.knowledge import Knowledge
from service.store.analytics import ReasonCount, RuleStats
from service.store.reporting import as_csv
from tests.api.store_client import FEEDBACK, SIGN, item
from tests.auth_support import JwksServer, bearer, make_auth_app
from tests.conftest import running
from tests.tokens import audience, epic_token, sandbox_token

Scenario = Callable[[str], dict[str, Any]]
ANALYTICS = "/analytics/rules"


@pytest.fixture
async def http(knowledge: Knowledge, tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = make_auth_app(
        knowledge, JwksServer(), database_url=f"sqlite+aiosqlite:///{tmp_path / 's.sqlite3'}"
    )
    async with running(app) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


def sandbox(path: str) -> dict[str, str]:  # EHR "A"
    return bearer(sandbox_token(audience(path)))


def epic(path: str) -> dict[str, str]:  # EHR "B"
    return bearer(epic_token(audience(path)))


async def issue(http: httpx.AsyncClient, request: dict[str, Any], headers: dict[str, str]) -> str:
    response = await http.post(SIGN, json=request, headers=headers)
    assert response.status_code == 200, response.text
    await services_of_app(http.app).advice_recorder.flush()  # type: ignore[attr-defined]
    return str(response.json()["cards"][0]["uuid"])


def rows(response: httpx.Response) -> dict[str, tuple[int, int]]:
    assert response.status_code == 200, response.text
    return {r["rule"]: (r["issued"], r["overridden"]) for r in response.json()["rules"]}


async def test_another_ehrs_feedback_on_a_card_does_not_count(
    http: httpx.AsyncClient, scenario: Scenario
) -> None:
    card = await issue(http, scenario("03"), sandbox(SIGN))
    from_b = await http.post(FEEDBACK, json={"feedback": [item(card)]}, headers=epic(FEEDBACK))
    assert from_b.status_code == 200
    assert from_b.json()["feedback"][0]["cardKnown"] is False  # B was not issued it
    a_rows = rows(await http.get(ANALYTICS, headers=sandbox(ANALYTICS)))
    assert a_rows["dose-above-max"] == (1, 0)
    later = item(card, at="2026-11-23T10:05:00Z")
    from_a = await http.post(FEEDBACK, json={"feedback": [later]}, headers=sandbox(FEEDBACK))
    assert from_a.json()["feedback"][0]["cardKnown"] is True
    assert rows(await http.get(ANALYTICS, headers=sandbox(ANALYTICS)))["dose-above-max"] == (1, 1)


async def test_each_ehr_reads_the_analytics_of_its_own_cards_only(
    http: httpx.AsyncClient, scenario: Scenario
) -> None:
    await issue(http, scenario("03"), sandbox(SIGN))
    assert (await http.get(ANALYTICS)).status_code == 401
    assert "dose-above-max" in rows(await http.get(ANALYTICS, headers=sandbox(ANALYTICS)))
    assert rows(await http.get(ANALYTICS, headers=epic(ANALYTICS))) == {}


@pytest.mark.parametrize(
    "reason",
    ['=HYPERLINK("https://evil.example","x")', "@SUM(1+1)", "+1", "-1", "a b", "x" * 4500],
    ids=["hyperlink", "at-sum", "plus", "minus", "space", "4.5 KB"],
)
async def test_reason_codes_are_short_codes(app: FastAPI, reason: str) -> None:
    async with running(app) as client:
        response = await client.post(FEEDBACK, json={"feedback": [item("card-1", reason=reason)]})
    assert response.status_code == 400
    assert "feedback.0.overrideReason.reason.code" in response.text
    assert reason[:20] not in response.text  # never echoed


@pytest.mark.parametrize(
    "change",
    [
        {"card": "c" * 65},
        {"card": "=cmd|' /C calc'!A0"},
        {"overrideReason": {"reason": {"code": "x", "system": "s" * 300}}},
        {"overrideReason": {"reason": {"code": "x", "system": "s", "display": "d" * 300}}},
    ],
    ids=["long card", "formula card", "long system", "long display"],
)
async def test_field_sizes_are_capped(app: FastAPI, change: dict[str, Any]) -> None:
    async with running(app) as client:
        body = {"feedback": [item("card-1") | change]}
        assert (await client.post(FEEDBACK, json=body)).status_code == 400


def test_csv_cells_never_start_a_formula() -> None:
    """Rows stored before codes were checked may still hold a formula: it is quoted away."""
    stats = [
        RuleStats(
            "baclofen-order-sign", "dose-above-max", 2, 0, 2,
            [ReasonCount('=HYPERLINK("https://evil.example")', None, 1),
             ReasonCount("@SUM(1+1)", None, 1)],
        )
    ]  # fmt: skip
    cells = [cell for row in csv.reader(io.StringIO(as_csv(stats))) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=HYPERLINK" in as_csv(stats)
