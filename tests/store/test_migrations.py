"""Migrations: the same scripts build the schema the models describe, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from service.store import Database, Store
from service.store.analytics import Window, rule_stats
from service.store.database import async_url
from service.store.feedback import ITEM_KEY
from service.store.inserts import insert_ignoring_conflicts
from service.store.migrate import current_revision, downgrade, head_revision, upgrade
from service.store.models import Base, Feedback, UtcDateTime


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


# What the release before 0002 writes: only the columns it knows.
_PREVIOUS_ISSUED = sa.table(
    "issued_card",
    *(sa.column(name) for name in ("card_uuid", "service", "hook", "hook_instance", "rule")),
    sa.column("indicator"),
    sa.column("knowledge_version"),
    sa.column("issued_at", UtcDateTime()),
)
_PREVIOUS_FEEDBACK = sa.table(
    "feedback",
    *(sa.column(name) for name in ("service", "card_uuid", "outcome", "reason_code", "client")),
    sa.column("outcome_at", UtcDateTime()),
    sa.column("received_at", UtcDateTime()),
    sa.column("accepted_suggestions", sa.JSON()),
)


async def _previous_release_writes(database: Database, card: str) -> None:
    at = datetime(2026, 11, 23, 9, tzinfo=UTC)
    async with database.engine.begin() as connection:
        await connection.execute(
            sa.insert(_PREVIOUS_ISSUED).values(
                card_uuid=card,
                service="baclofen-order-sign",
                hook="order-sign",
                hook_instance="h",
                rule="dose-above-max",
                indicator="critical",
                knowledge_version="1.0.0",
                issued_at=at,
            )
        )
        insert = insert_ignoring_conflicts(database.dialect, Feedback, ITEM_KEY)
        await connection.execute(
            insert.values(
                service="baclofen-order-sign",
                card_uuid=card,
                outcome="overridden",
                reason_code="patient-tolerates",
                client="https://ehr.example.org",
                outcome_at=at,
                received_at=at,
                accepted_suggestions=[],
            )
        )


async def test_0002_is_additive_the_previous_release_works_beside_it(database_url: str) -> None:
    """Rolling updates run both releases on one database: the previous one must keep writing
    (its rows carry no client) and its rows must keep counting."""
    database = Database(database_url)
    try:
        await upgrade(database, "0001")
        await _previous_release_writes(database, "before-upgrade")
        await upgrade(database)
        await _previous_release_writes(database, "during-rollout")
        stats = await rule_stats(database, Window())
        assert [(row.issued, row.overridden) for row in stats] == [(2, 2)]
        async with database.engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("issued_card")}
            )
        assert {"issuer", "tenant"} <= columns
    finally:
        await database.dispose()
