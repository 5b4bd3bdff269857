"""The service is not a probe of what its FHIR fetches can reach.

Found by a penetration test with authentication off and no allow-list (the compose default):
any https host and any loopback port was fetched with the caller's token, and the 412 said
"connection refused", "FHIR server answered 404" or "the connection to the FHIR server failed":
a port scanner telling closed, HTTP and non-HTTP ports apart. Now only loopback servers are
contacted in that mode, and every failure reads the same to the caller (details in the log).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cds_hooks.fetch import NOT_PROVIDED
from service.app.factory import create_app
from service.clinical.knowledge import Knowledge
from service.fhir.fetchers import fetcher_factory_for
from tests.conftest import TODAY, make_settings, running
from tests.servers import free_port

SIGN = "/cds-services/baclofen-order-sign"


@asynccontextmanager
async def tcp_server(answer: bytes) -> AsyncIterator[int]:
    """A loopback server that writes ``answer`` to whoever connects, then hangs up."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def without_patient(request: dict[str, Any], fhir_server: str) -> dict[str, Any]:
    request = dict(request, fhirServer=fhir_server)
    request["prefetch"] = {k: v for k, v in request["prefetch"].items() if k != "patient"}
    return request


async def test_closed_open_and_non_http_ports_read_the_same(
    make_app: Callable[..., FastAPI],
    scenario: Callable[[str], dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    http_404 = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    async with tcp_server(http_404) as web, tcp_server(b"SSH-2.0-OpenSSH_9.6\r\n") as ssh:
        ports = {"closed": free_port(), "http": web, "not http": ssh}
        bases = {kind: f"http://127.0.0.1:{port}/fhir" for kind, port in ports.items()}
        app = make_app(fhir_allowed_bases=list(bases.values()), fhir_timeout_s=5)
        answers = {}
        caplog.set_level(logging.WARNING)
        async with running(app) as client:
            for kind, base in bases.items():
                response = await client.post(SIGN, json=without_patient(scenario("03"), base))
                assert response.status_code == 412, response.text
                answers[kind] = response.json()["issue"][0]["diagnostics"]
    assert len(set(answers.values())) == 1, answers
    assert NOT_PROVIDED in answers["closed"]
    # Operators still see what happened.
    logged = " ".join(str(getattr(r, "reason", "")) for r in caplog.records)
    assert "connection refused" in logged and "answered 404" in logged


async def test_without_authentication_or_allow_list_only_loopback_is_fetched(
    knowledge: Knowledge, scenario: Callable[[str], dict[str, Any]]
) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"resourceType": "Patient", "id": "pat-1"})

    settings = make_settings()
    factory = fetcher_factory_for(settings, transport=httpx.MockTransport(record))
    app = create_app(settings, knowledge=knowledge, clock=lambda: TODAY, fetcher_factory=factory)
    async with running(app) as client:
        for elsewhere in ("https://ehr.example.org/fhir", "https://169.254.169.254/fhir"):
            response = await client.post(SIGN, json=without_patient(scenario("03"), elsewhere))
            assert response.status_code == 412
            assert "only loopback FHIR servers" in response.json()["issue"][0]["diagnostics"]
        # A loopback server is still fetched from (local development).
        local = without_patient(scenario("03"), "http://127.0.0.1:8080/fhir")
        assert (await client.post(SIGN, json=local)).status_code == 200
    assert [request.url.host for request in seen] == ["127.0.0.1"]
