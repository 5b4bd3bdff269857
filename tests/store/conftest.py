"""A migrated store on each backend (see tests/databases.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from service.store import Database, Store


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store(Database(database_url))
    await store.start()
    assert await store.readiness() == "ok"
    yield store
    await store.close()
