"""Shared test fixtures: the app with a pinned clock, an HTTP client, the scenario files."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.app.factory import create_app
from service.clinical.knowledge import Knowledge, load_knowledge
from service.pipeline.examples import Fixture, all_fixtures
from service.settings import Settings
from tests.conformance.transport import check_every_answer

# Test databases (a SQLite file per test, a PostgreSQL database per run): tests/databases.py
pytest_plugins = ("tests.databases",)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
TODAY = dt.date(2026, 11, 23)  # the evaluationDate of the scenario files


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's BACLOFEN_CDS_* variables must not change what the tests see."""
    for name in list(os.environ):
        if name.startswith("BACLOFEN_CDS_"):
            monkeypatch.delenv(name)


# --- conformance: every answer a test receives is checked, see tests/conformance.
@pytest.fixture(autouse=True)
def _conformant_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    check_every_answer(monkeypatch)


# --- end conformance


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()


# Signs the schedule links of in-process apps: a fixed key keeps the snapshots stable.
TEST_LINK_KEY = "test-only-link-key-0123456789abcdef"
# The base URL of card links and of tokens' audience in tests (tests/tokens.py, the snapshots).
PUBLIC_BASE_URL = "http://localhost:8080"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "auth_required": False,
        "database_url": "sqlite+aiosqlite:///:memory:",
        "link_keys": [TEST_LINK_KEY],
        "public_base_url": PUBLIC_BASE_URL,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_app(knowledge: Knowledge, tmp_path: Path) -> Callable[..., FastAPI]:
    def factory(today: dt.date = TODAY, **settings: Any) -> FastAPI:
        # A file, not :memory: (one connection shared by every request, and its transaction).
        settings.setdefault("database_url", f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}")
        return create_app(make_settings(**settings), knowledge=knowledge, clock=lambda: today)

    return factory


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started (store migrated, advice recorder running), a client of it; then stopped."""
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        yield http


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as http:
        yield http


def scenario_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


def load_scenario(name: str) -> dict[str, Any]:
    path = FIXTURES / name if name.endswith(".json") else next(FIXTURES.glob(f"{name}*.json"))
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.fixture
def scenario() -> Callable[[str], dict[str, Any]]:
    """A deep copy of a fixture file's request, safe to modify."""

    def get(name: str) -> dict[str, Any]:
        return copy.deepcopy(load_scenario(name)["request"])

    return get


def fixtures_list() -> Iterator[Fixture]:
    return all_fixtures(FIXTURES)


def codes(body: dict[str, Any]) -> dict[str, str]:
    """rule code -> indicator of the cards in a response."""
    return {card["source"]["topic"]["code"]: card["indicator"] for card in body["cards"]}
