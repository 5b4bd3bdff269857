"""A slow key endpoint holds up neither the start nor the other issuers' calls.

Found by a penetration test: a key set dripped one byte every 2 s delayed start-up by 63 s,
past the 60 s startup probe (a restart loop), for every issuer, and calls waited on it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from service.app.factory import create_app
from service.clinical.knowledge import Knowledge
from tests.auth_support import TENANT, TENANT_ISS, TENANT_KID, bearer
from tests.conftest import TODAY, make_settings, running
from tests.tokens import PUBLIC_BASE, SANDBOX_ISS, audience, ec_key, sandbox_claims, sign

SIGN = "/cds-services/baclofen-order-sign"


@asynccontextmanager
async def dripping_key_endpoint() -> AsyncIterator[str]:
    """An HTTP server that sends its headers, then a key set one byte every 2 s."""
    body = json.dumps(ec_key().jwks()).encode()

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
        )
        try:
            for byte in body:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(2)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/jwks.json"
    finally:
        server.close()


def app_trusting(knowledge: Knowledge, slow_jwks_url: str) -> FastAPI:
    settings = make_settings(
        auth_required=True,
        public_base_url=PUBLIC_BASE,
        trusted_issuers={
            SANDBOX_ISS: {"jwks_url": slow_jwks_url},
            TENANT_ISS: {"jwks": ec_key(TENANT_KID).jwks(), "tenants": [TENANT]},
        },
    )
    return create_app(settings, knowledge=knowledge, clock=lambda: TODAY)


async def test_start_up_and_other_issuers_do_not_wait_for_a_slow_key_endpoint(
    knowledge: Knowledge, scenario: Callable[[str], dict[str, Any]]
) -> None:
    async with dripping_key_endpoint() as slow_url:
        app = app_trusting(knowledge, slow_url)
        started = time.perf_counter()
        async with running(app) as client:
            assert time.perf_counter() - started < 5  # was: until the drip ended (minutes)
            assert (await client.get("/readyz")).status_code == 200
            claims = sandbox_claims(audience(SIGN), iss=TENANT_ISS, tenant=TENANT)
            token = sign(claims, ec_key(TENANT_KID))
            called = time.perf_counter()
            response = await client.post(SIGN, json=scenario("03"), headers=bearer(token))
            assert response.status_code == 200, response.text
            # The slow issuer's own calls are refused within the caller's wait, not queued.
            slow_token = sign(sandbox_claims(audience(SIGN)), ec_key())
            refused = await client.post(SIGN, json=scenario("03"), headers=bearer(slow_token))
            assert refused.status_code == 401
            assert time.perf_counter() - called < 5
            stopping = time.perf_counter()
        assert time.perf_counter() - stopping < 5  # shutdown cancels the fetch
