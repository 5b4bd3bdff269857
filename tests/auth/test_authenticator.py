"""From settings to an authenticator; the audience of a request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.requests import Request

from service.api.dependencies import services_of_app
from service.auth import Authenticator, audience_of
from service.auth.replay import MemoryReplayCache, RedisReplayCache
from tests.auth_support import TENANT_ISS, trusted_issuers
from tests.conftest import make_settings as settings_for


def request_to(path: str, root_path: str = "") -> Request:
    return Request({"type": "http", "method": "POST", "path": path, "root_path": root_path})


@pytest.mark.parametrize(
    ("base", "path", "root", "expected"),
    [
        ("http://localhost:8080", "/cds-services/x", "", "http://localhost:8080/cds-services/x"),
        (
            "https://cds.example.org/baclofen",
            "/cds-services/x/feedback",
            "",
            "https://cds.example.org/baclofen/cds-services/x/feedback",
        ),
        # Behind a proxy that keeps the prefix (uvicorn --root-path): counted once, not twice.
        (
            "https://cds.example.org/baclofen",
            "/baclofen/cds-services/x",
            "/baclofen",
            "https://cds.example.org/baclofen/cds-services/x",
        ),
    ],
)
def test_audience_is_the_public_url_of_the_endpoint(
    base: str, path: str, root: str, expected: str
) -> None:
    assert audience_of(request_to(path, root), base) == expected


async def test_replay_cache_follows_the_redis_setting() -> None:
    memory = Authenticator(settings_for(auth_required=True))
    assert isinstance(memory.replay, MemoryReplayCache)
    shared = Authenticator(settings_for(auth_required=True, redis_url="redis://127.0.0.1:6379/0"))
    assert isinstance(shared.replay, RedisReplayCache)
    await shared.aclose()
    await memory.aclose()


def test_authentication_off_installs_nothing(make_app: Callable[..., FastAPI]) -> None:
    assert services_of_app(make_app()).authenticator is None


async def test_authentication_on_starts_and_stops_with_the_app(
    make_app: Callable[..., FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(auth_required=True, trusted_issuers=trusted_issuers())
    authenticator = services_of_app(app).authenticator
    assert isinstance(authenticator, Authenticator)
    calls: list[str] = []

    async def start() -> None:
        calls.append("start")

    async def aclose() -> None:
        calls.append("aclose")

    monkeypatch.setattr(authenticator, "start", start)
    monkeypatch.setattr(authenticator, "aclose", aclose)
    async with app.router.lifespan_context(app):
        assert calls == ["start"]
    assert calls == ["start", "aclose"]


@pytest.mark.parametrize(
    ("settings", "level", "says"),
    [
        ({}, logging.ERROR, "every call to a protected endpoint will be refused"),
        (
            {"trusted_issuers": {TENANT_ISS: trusted_issuers()[TENANT_ISS]}, "workers": 4},
            logging.WARNING,
            "BACLOFEN_CDS_REDIS_URL",
        ),
        (
            {"trusted_issuers": {TENANT_ISS: trusted_issuers()[TENANT_ISS]}},
            logging.INFO,
            "verifying",
        ),
    ],
)
async def test_start_up_says_what_is_checked_and_warns_of_risky_setups(
    make_app: Callable[..., FastAPI],
    caplog: pytest.LogCaptureFixture,
    settings: dict[str, Any],
    level: int,
    says: str,
) -> None:
    app = make_app(auth_required=True, **settings)
    with caplog.at_level(logging.INFO, logger="baclofen_cds.auth"):
        async with app.router.lifespan_context(app):
            pass
    assert any(r.levelno == level and says in r.getMessage() for r in caplog.records)
