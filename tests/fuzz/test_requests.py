"""Any hook request, however odd its FHIR content: cards that conform, or a 4xx OperationOutcome.

Never a 5xx (the pipeline turns an unexpected exception into a 500, which fails here; in
process the exception itself reaches the test), never a hang: each answer within
``ANSWER_WITHIN_S``. Conformance of every answer is checked by the autouse fixture of
``tests/conftest.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI
from hypothesis import HealthCheck, given, note, settings

from tests.conftest import running
from tests.fuzz.limits import ANSWER_WITHIN_S, DEAD_FHIR_BASE, examples
from tests.fuzz.strategies import Call, requests

ALLOWED = {200, 400, 412, 413}
HANG_S = 10  # a request still running then is abandoned and fails the test


@dataclass
class Driver:
    """One started app, called from hypothesis' synchronous examples through a portal."""

    portal: BlockingPortal
    http: httpx.AsyncClient

    def post(self, path: str, body: Any) -> tuple[httpx.Response, float]:
        async def call() -> tuple[httpx.Response, float]:
            started = time.perf_counter()
            with anyio.fail_after(HANG_S):
                response = await self.http.post(path, json=body)
            return response, time.perf_counter() - started

        return self.portal.call(call)


@contextmanager
def driving(app: FastAPI) -> Iterator[Driver]:
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(running(app)) as http,
    ):
        yield Driver(portal, http)


@pytest.fixture
def driver(make_app: Callable[..., FastAPI]) -> Iterator[Driver]:
    with driving(make_app(fhir_allowed_bases=[DEAD_FHIR_BASE])) as started:
        yield started


def check_call(driver: Driver, call: Call) -> None:
    note(f"POST {call.path}\n{json.dumps(call.request, ensure_ascii=False)[:20000]}")
    response, elapsed = driver.post(call.path, call.request)
    assert response.status_code in ALLOWED, response.text
    assert elapsed < ANSWER_WITHIN_S, f"{elapsed:.2f} s"


@settings(
    max_examples=examples(400),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one started app serves every example
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(call=requests)
def test_any_request_gets_conformant_cards_or_an_outcome(driver: Driver, call: Call) -> None:
    check_call(driver, call)
