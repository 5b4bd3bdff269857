"""A trailing slash is served as without it, never redirected to the caller's Host header.

Found by a penetration test: ``GET /cds-services/`` with ``Host: evil.example`` answered 307 to
``http://evil.example/cds-services`` (Starlette builds the redirect from the Host header).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest


@pytest.mark.parametrize("path", ["/cds-services/", "/healthz/", "/knowledge/rules/"])
async def test_a_trailing_slash_is_served_not_redirected(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert "location" not in response.headers
    assert "evil.example" not in response.text


async def test_a_hook_call_with_a_trailing_slash_is_answered(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    response = await client.post("/cds-services/baclofen-order-sign/", json=scenario("03"))
    assert response.status_code == 200, response.text
    assert response.json()["cards"]
