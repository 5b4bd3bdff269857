"""Migrations: the same scripts build the schema the models describe, on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from service.store import Database, Store
from service.store.database import async_url
from service.store.migrate import current_revision, downgrade, head_revision, upgrade
from service.store.models import Base


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_builds_exactly_the_schema_of_the_models(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert await current_revision(database) is None
        await upgrade(database)
        assert await current_revision(database) == head_revision()
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await database.dispose()


async def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    database = Database(database_url)
    try:
        await upgrade(database)
        await downgrade(database, "base")
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_tables) == {"alembic_version"}
        await upgrade(database)
        async with database.engine.connect() as connection:
            assert {"issued_card", "feedback"} <= await connection.run_sync(_tables)
    finally:
        await database.dispose()


async def test_replicas_starting_together_migrate_once(database_url: str) -> None:
    # Four processes' worth of stores on one database: without the lock (PostgreSQL) or
    # BEGIN IMMEDIATE (SQLite) the losers fail with "table already exists".
    stores = [Store(Database(database_url)) for _ in range(4)]
    try:
        await asyncio.gather(*(store.start() for store in stores))
        assert [await store.readiness() for store in stores] == ["ok"] * 4
        assert await current_revision(stores[0].database) == head_revision()
    finally:
        for store in stores:
            await store.close()


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite:///./x.sqlite3", "sqlite+aiosqlite:///./x.sqlite3"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u@db:5432/cds", "postgresql+asyncpg://u@db:5432/cds"),
        ("postgres://u@db/cds", "postgresql+asyncpg://u@db/cds"),
        ("postgresql+asyncpg://u@db/cds", "postgresql+asyncpg://u@db/cds"),
    ],
)
def test_urls_name_the_async_driver(given: str, used: str) -> None:
    assert async_url(given).render_as_string() == used


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/cds", "unsupported database 'mysql'"),
        ("postgresql+psycopg2://u@db/cds", "postgresql is used through asyncpg, not psycopg2"),
    ],
)
def test_other_databases_and_drivers_are_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        async_url(url)


def test_passwords_stay_out_of_descriptions() -> None:
    database = Database("postgresql://cds:s3cret@db/cds")
    assert "s3cret" not in database.describe()


async def test_a_failed_transaction_leaves_no_table_on_sqlite(tmp_path: Path) -> None:
    # The Python driver would run DDL outside any transaction; the store takes over BEGIN so a
    # migration that fails half-way leaves nothing behind.
    database = Database(f"sqlite:///{tmp_path / 'atomic.sqlite3'}")
    try:
        with pytest.raises(RuntimeError):
            async with database.engine.begin() as connection:
                await connection.execute(text("CREATE TABLE half_done (id INTEGER)"))
                raise RuntimeError("the migration fails here")
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()
    finally:
        await database.dispose()
