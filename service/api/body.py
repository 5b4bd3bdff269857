"""Reading a JSON request body safely: a size limit, a time limit, and a 400 for anything not
JSON."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request

from cds_hooks.errors import CdsHooksError, Issue, bad_request, payload_too_large


def body_too_slow(timeout_s: float) -> CdsHooksError:
    # The rest of the body is never read: the connection is closed after the answer.
    return CdsHooksError(
        408,
        [Issue(f"the request body did not arrive within {timeout_s:g} s", code="timeout")],
        headers={"Connection": "close"},
    )


async def read_json(request: Request, limit: int, timeout_s: float) -> Any:
    """The body as JSON: at most ``limit`` bytes, all of it within ``timeout_s`` seconds (a
    client that sends a body slowly, or stops half-way, holds a connection and memory)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise payload_too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise payload_too_large(limit)
                chunks.append(chunk)
    except (TimeoutError, ClientDisconnect):
        # A client that left gets no answer; the access line shows the 408.
        raise body_too_slow(timeout_s) from None
    raw = b"".join(chunks)
    if not raw.strip():
        raise bad_request("the request body is empty; a JSON object is expected", code="structure")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        # The position helps the integrator; the content is not echoed.
        raise bad_request(
            f"the request body is not valid JSON (at character {error.pos})", code="structure"
        ) from None
