"""Reading a JSON request body safely: a size limit, and a 400 for anything not JSON."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from cds_hooks.errors import bad_request, payload_too_large


async def read_json(request: Request, limit: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise payload_too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise payload_too_large(limit)
        chunks.append(chunk)
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
