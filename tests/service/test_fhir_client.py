"""The FHIR client against httpx.MockTransport: headers, budget, retries, redirects, answers."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from cds_hooks.fetch import NOT_PROVIDED, FetchError
from service.fhir import client as fhir_client
from service.fhir.client import FhirClient
from service.fhir.servers import FhirBase

BASE = FhirBase.parse("https://ehr.example.org/fhir")
PATIENT = {"resourceType": "Patient", "id": "p1"}
TOKEN = "secret-token-123"

Handler = Callable[[httpx.Request], httpx.Response]
RETRY_PAUSE = fhir_client._retry_pause  # before the autouse fixture below replaces it


@pytest.fixture(autouse=True)
def _no_retry_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fhir_client, "_retry_pause", lambda: 0.0)


class Recorder:
    """A MockTransport handler answering from a list of responses (or exceptions), in order."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
async def client() -> AsyncIterator[Callable[..., FhirClient]]:
    made: list[FhirClient] = []

    def make(handler: Handler, timeout_s: float = 3.0) -> FhirClient:
        made.append(FhirClient(timeout_s, transport=httpx.MockTransport(handler)))
        return made[-1]

    yield make
    for one in made:
        await one.aclose()


@contextmanager
def fails_with(detail: str) -> Iterator[None]:
    """The fetch fails, telling the caller only NOT_PROVIDED, and ``detail`` to the log."""
    with pytest.raises(FetchError) as failed:
        yield
    assert failed.value.reason == NOT_PROVIDED
    assert re.search(detail, failed.value.detail), failed.value.detail


def ok(body: Any = PATIENT) -> httpx.Response:
    return httpx.Response(200, json=body)


async def test_a_read_sends_the_token_and_asks_for_fhir_json(
    client: Callable[..., FhirClient],
) -> None:
    recorder = Recorder(ok())
    fetcher = client(recorder).fetcher(BASE, TOKEN)
    assert await fetcher.fetch("Patient/p1") == PATIENT
    request = recorder.requests[0]
    assert str(request.url) == "https://ehr.example.org/fhir/Patient/p1"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/fhir+json"
    assert TOKEN not in repr(fetcher)


async def test_without_fhir_authorization_no_authorization_header_is_sent(
    client: Callable[..., FhirClient],
) -> None:
    recorder = Recorder(ok())
    await client(recorder).fetcher(BASE, None).fetch("Patient/p1")
    assert "authorization" not in recorder.requests[0].headers


@pytest.mark.parametrize("status", [401, 403, 404, 500])
async def test_an_error_status_is_the_reason(
    client: Callable[..., FhirClient], status: int
) -> None:
    recorder = Recorder(httpx.Response(status, json={"resourceType": "OperationOutcome"}))
    with fails_with(f"^FHIR server answered {status}$"):
        await client(recorder).fetcher(BASE, TOKEN).fetch("Patient/p1")
    assert len(recorder.requests) == 1  # not retried


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_gateway_error_is_retried_once(
    client: Callable[..., FhirClient], status: int
) -> None:
    recorder = Recorder(httpx.Response(status), ok())
    assert await client(recorder).fetcher(BASE, TOKEN).fetch("Patient/p1") == PATIENT
    assert len(recorder.requests) == 2

    recorder = Recorder(httpx.Response(status))
    with fails_with(f"answered {status}"):
        await client(recorder).fetcher(BASE, TOKEN).fetch("Patient/p1")
    assert len(recorder.requests) == 2


async def test_a_connection_error_is_retried_once_with_a_pause(
    client: Callable[..., FhirClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []

    def pause() -> float:
        pauses.append(0.01)
        return 0.01

    monkeypatch.setattr(fhir_client, "_retry_pause", pause)
    refused = httpx.ConnectError("refused")
    refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
    recorder = Recorder(refused, ok())
    assert await client(recorder).fetcher(BASE, TOKEN).fetch("Patient/p1") == PATIENT
    assert pauses == [0.01]

    recorder = Recorder(refused)
    with fails_with(r"^connection refused$"):
        await client(recorder).fetcher(BASE, TOKEN).fetch("Patient/p1")
    assert len(recorder.requests) == 2


def test_the_retry_pause_is_random_and_short() -> None:
    pauses = {RETRY_PAUSE() for _ in range(20)}
    assert len(pauses) > 1
    assert all(0.05 <= pause <= 0.25 for pause in pauses)


async def test_the_budget_covers_the_whole_hook_call() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.15)
        return ok()

    made = FhirClient(0.4, transport=httpx.MockTransport(slow))
    try:
        fetcher = made.fetcher(BASE, TOKEN)
        started = time.perf_counter()
        assert await fetcher.fetch("Patient/p1") == PATIENT
        assert await fetcher.fetch("Patient/p1") == PATIENT
        with fails_with(r"^timed out after 0\.4 s$"):
            await fetcher.fetch("Patient/p1")  # the third would end after the budget
        assert time.perf_counter() - started < 0.55
    finally:
        await made.aclose()


async def test_a_redirect_under_the_base_is_followed_with_the_token(
    client: Callable[..., FhirClient],
) -> None:
    moved = httpx.Response(302, headers={"location": "/fhir/Patient/p1?moved=1"})
    recorder = Recorder(moved, ok())
    assert await client(recorder).fetcher(BASE, TOKEN).fetch("Patient/p1") == PATIENT
    assert str(recorder.requests[1].url).endswith("/fhir/Patient/p1?moved=1")
    assert recorder.requests[1].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "location",
    ["https://evil.test/fhir/Patient/p1", "/other/Patient/p1", "http://ehr.example.org/fhir/x", ""],
)
async def test_a_redirect_elsewhere_is_not_followed(
    client: Callable[..., FhirClient], location: str
) -> None:
    recorder = Recorder(httpx.Response(307, headers={"location": location}))
    with fails_with("redirected outside its base URL"):
        await client(recorder).fetcher(BASE, TOKEN).fetch("Patient/p1")
    assert len(recorder.requests) == 1


async def test_endless_redirects_stop(client: Callable[..., FhirClient]) -> None:
    recorder = Recorder(httpx.Response(302, headers={"location": "/fhir/Patient/p1"}))
    with fails_with("redirected too many times"):
        await client(recorder).fetcher(BASE, TOKEN).fetch("Patient/p1")


async def test_a_next_link_outside_the_base_is_not_fetched(
    client: Callable[..., FhirClient],
) -> None:
    recorder = Recorder(ok())
    with fails_with("outside its base URL"):
        await client(recorder).fetcher(BASE, TOKEN).fetch("https://evil.test/fhir/Condition")
    assert recorder.requests == []


@pytest.mark.parametrize("body", [b"<html>", b"[1, 2]", b""])
async def test_an_answer_that_is_not_a_json_object_is_refused(
    client: Callable[..., FhirClient], body: bytes
) -> None:
    recorder = Recorder(httpx.Response(200, content=body))
    with fails_with("not FHIR JSON"):
        await client(recorder).fetcher(BASE, TOKEN).fetch("Patient/p1")


async def test_an_oversized_answer_is_refused(
    client: Callable[..., FhirClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fhir_client, "MAX_ANSWER_BYTES", 1024)
    recorder = Recorder(ok({"resourceType": "Bundle", "entry": [{"x": "y" * 2000}]}))
    with fails_with("larger than"):
        await client(recorder).fetcher(BASE, TOKEN).fetch("Condition?patient=p1")


async def test_failures_are_logged_without_url_token_or_patient(
    client: Callable[..., FhirClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder(ok(), httpx.Response(401))
    fetcher = client(recorder).fetcher(BASE, TOKEN)
    await fetcher.fetch("Patient/p1")
    with pytest.raises(FetchError):
        await fetcher.fetch("Condition?patient=p1")
    logged = [json.dumps(vars(record), default=str) for record in caplog.records]
    assert any("answered 401" in line for line in logged)
    for line in logged:
        assert TOKEN not in line and "p1" not in line


async def test_the_pooled_client_is_made_once_and_closed(
    client: Callable[..., FhirClient],
) -> None:
    made = client(Recorder(ok()))
    await made.start()
    first = made._http
    made.fetcher(BASE, TOKEN)
    assert made._http is first is not None
    await made.aclose()
    assert first.is_closed and made._http is None
