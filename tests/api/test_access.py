"""The access line: one JSON line per request with its id, route, status and duration."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.observability.logs import JsonFormatter

ACCESS = "baclofen_cds.access"


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == ACCESS]


@pytest.fixture(autouse=True)
def _capture(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=ACCESS)


@pytest.mark.parametrize("given", ["lb-7f3a9c.01", "0d7b5a0e-8a7c-4c8e-9d4b-1b2f8c9e7a61"])
async def test_a_safe_incoming_request_id_is_kept_and_echoed(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, given: str
) -> None:
    response = await client.get("/cds-services", headers={"X-Request-ID": given})
    assert response.headers["x-request-id"] == given
    [line] = access_lines(caplog)
    assert line["request_id"] == given


@pytest.mark.parametrize("given", ["", "a b", "x" * 65, "<script>", "a;b"])
async def test_an_unsafe_request_id_is_replaced(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, given: str
) -> None:
    response = await client.get("/cds-services", headers={"X-Request-ID": given})
    made = response.headers["x-request-id"]
    assert made != given and len(made) == 32
    assert access_lines(caplog)[0]["request_id"] == made


async def test_each_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/cds-services")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


async def test_the_line_names_the_route_not_the_query(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    await client.get("/schedules/view?d=10.5&s=1999-01-31")
    await client.get("/knowledge/rules/dose-above-max")
    schedule, rule = access_lines(caplog)
    assert (schedule["route"], schedule["path"], schedule["method"]) == (
        "/schedules/view",
        "/schedules/view",
        "GET",
    )
    assert "1999-01-31" not in json.dumps(schedule)
    assert (rule["route"], rule["path"], rule["status"]) == (
        "/knowledge/rules/{code}",
        "/knowledge/rules/dose-above-max",
        200,
    )
    assert rule["duration_ms"] >= 0


async def test_a_hook_call_line_says_what_was_decided(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    scenario: Callable[[str], dict[str, Any]],
) -> None:
    request = scenario("03")
    assert (await client.post("/cds-services/baclofen-order-sign", json=request)).is_success
    [line] = access_lines(caplog)
    assert line["service"] == "baclofen-order-sign" and line["hook"] == "order-sign"
    assert line["hook_instance"] == request["hookInstance"]
    assert "dose-above-max" in line["rule_codes"]
    assert line["fetched"] == [] and line["unavailable"] == []
    assert line["evaluation_ms"] <= line["duration_ms"]


async def test_probes_are_quiet_while_they_succeed(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/cds-services"):
        assert (await client.get(path)).status_code == 200
    levels = {line["route"]: line["level"] for line in access_lines(caplog)}
    assert levels == {
        "/healthz": "debug",
        "/readyz": "debug",
        "/metrics": "debug",
        "/cds-services": "info",
    }


async def test_an_unknown_path_and_an_unhandled_error_are_logged_with_their_status(
    make_app: Callable[..., FastAPI], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("defect")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/nowhere/Patient/123")).status_code == 404
        assert (await http.get("/boom")).status_code == 500
    missing, boom_line = access_lines(caplog)
    assert (missing["route"], missing["status"]) == ("unmatched", 404)
    assert (boom_line["route"], boom_line["status"], boom_line["level"]) == ("/boom", 500, "info")
