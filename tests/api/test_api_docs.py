"""GET /docs: Swagger UI from the service's own files (no CDN), on by default only when
authentication is off."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.api.api_docs import ASSETS
from tests.conftest import running


async def fetch(app: FastAPI, path: str) -> httpx.Response:
    async with running(app) as http:
        return await http.get(path)


async def test_the_page_and_every_asset_it_names_come_from_the_service(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app()  # authentication off: documentation on
    async with running(app) as http:
        page = await http.get("/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        html = page.text
        # Offline: nothing outside this service, no inline script.
        assert not re.search(r"(?:https?:)?//", html), "a URL to another host"
        assert not re.search(r"<script>", html), "an inline script"
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "connect-src 'self'" in policy
        named = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert {path.rsplit("/", 1)[-1] for path in named} == {*ASSETS, "start.js"}
        for path in named:
            asset = await http.get(path)
            assert asset.status_code == 200, path
            assert len(asset.content) > 100, path
        bundle = await http.get("/docs/assets/swagger-ui-bundle.js")
        assert "SwaggerUIBundle" in bundle.text
        start = await http.get("/docs/start.js")
        assert start.headers["content-type"].startswith("text/javascript")
        assert re.search(r'data-openapi="/openapi.json"', html)
        assert (await http.get("/openapi.json")).status_code == 200


@pytest.mark.parametrize(
    ("settings", "served"),
    [
        ({}, True),
        ({"api_docs": False}, False),
        ({"auth_required": True}, False),
        ({"auth_required": True, "api_docs": True}, True),
    ],
)
async def test_on_by_default_only_without_authentication(
    make_app: Callable[..., FastAPI], settings: dict[str, Any], served: bool
) -> None:
    app = make_app(**settings)
    page, asset = await fetch(app, "/docs"), await fetch(app, "/docs/assets/swagger-ui.css")
    assert page.status_code == asset.status_code == (200 if served else 404)
