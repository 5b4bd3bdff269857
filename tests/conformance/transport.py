"""Every answer an in-process test receives from the service is checked, without opting in.

All in-process tests talk to the app through ``httpx.ASGITransport`` (the ``client`` fixture,
``running``, ``client_for``, or their own client), so that is where the check goes: a
non-conformant answer fails the test that received it, whatever the test asserts.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conformance.answers import check_answer


def check_every_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    original = httpx.ASGITransport.handle_async_request

    async def checked(self: httpx.ASGITransport, request: httpx.Request) -> httpx.Response:
        response = await original(self, request)
        content = await response.aread()
        check_answer(
            request.method,
            request.url.path,
            response.status_code,
            response.headers.get("content-type", ""),
            content,
        )
        # A fresh response over the bytes read, as if the stream had not been touched.
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=content,
            extensions=response.extensions,
        )

    monkeypatch.setattr(httpx.ASGITransport, "handle_async_request", checked)
