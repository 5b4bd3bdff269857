"""A database outage: feedback answers 503, hook calls keep answering, readiness fails,
advice recording counts its failures; and everything resumes when the database is back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.api.dependencies import services_of_app
from tests.api.store_client import FEEDBACK, SIGN, item
from tests.api.test_errors import assert_outcome
from tests.conftest import running
from tests.databases import BlockablePostgres
from tests.store.helpers import advice_count

Scenario = Callable[[str], dict[str, Any]]


def fast_retries(app: FastAPI) -> FastAPI:
    # The production back-off (seconds) would only make the test slow.
    services_of_app(app).advice_recorder.retry_delays_s = (0.01,)
    return app


async def assert_store_down(app: FastAPI, http: httpx.AsyncClient, request: dict[str, Any]) -> None:
    response = await http.post(FEEDBACK, json={"feedback": [item("card-during-outage")]})
    assert_outcome(response, 503, "feedback store is unavailable")
    assert response.headers["retry-after"] == "30"
    assert_outcome(await http.get("/analytics/rules"), 503, "unavailable")

    failed = advice_count("failed")
    hook = await http.post(SIGN, json=request)
    assert hook.status_code == 200, hook.text
    cards = len(hook.json()["cards"])
    await services_of_app(app).advice_recorder.flush()
    assert advice_count("failed") - failed == cards

    ready = await http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["store"] == "unreachable"


async def assert_store_back(http: httpx.AsyncClient) -> None:
    assert (await http.get("/readyz")).status_code == 200
    response = await http.post(FEEDBACK, json={"feedback": [item("card-after-outage")]})
    assert response.status_code == 200, response.text
    assert response.json()["feedback"][0]["status"] == "stored"


async def test_sqlite_that_cannot_be_opened(
    make_app: Callable[..., FastAPI], scenario: Scenario, tmp_path: Path
) -> None:
    # The database's directory does not exist yet: the service must start all the same.
    directory = tmp_path / "not-yet"
    app = fast_retries(make_app(database_url=f"sqlite+aiosqlite:///{directory / 'db.sqlite3'}"))
    async with running(app) as http:
        await assert_store_down(app, http, scenario("03"))
        directory.mkdir()
        await assert_store_back(http)


@pytest.mark.postgres
async def test_postgresql_going_away_and_coming_back(
    make_app: Callable[..., FastAPI], scenario: Scenario, blockable_postgres: BlockablePostgres
) -> None:
    app = fast_retries(make_app(database_url=blockable_postgres.url))
    async with running(app) as http:
        written = advice_count("written")
        assert (await http.post(SIGN, json=scenario("03"))).status_code == 200
        await services_of_app(app).advice_recorder.flush()
        assert advice_count("written") - written == 3

        await blockable_postgres.take_down()
        try:
            await assert_store_down(app, http, scenario("03"))
        finally:
            await blockable_postgres.bring_back()
        await assert_store_back(http)
