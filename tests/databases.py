"""Test databases for the store, on both backends the service supports.

- SQLite: a file in the test's tmp_path.
- PostgreSQL: the server on this machine (``BACLOFEN_TEST_POSTGRES_URL``, default
  ``postgresql://postgres@127.0.0.1:5432/test``). Each run creates a database of its own and
  drops it at the end; each test starts from an empty ``public`` schema in it.

When the server cannot be reached the PostgreSQL tests are skipped with the reason, except
when ``CI`` is set: CI must run them, so there they fail instead.

Fixtures: ``database_url`` (parametrised over both backends), ``postgres_url`` (PostgreSQL
only), ``blockable_postgres`` (a database the test can take down and bring back).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from service.store.database import async_url
from tests.requirements import unavailable

POSTGRES_ADMIN_URL = os.environ.get(
    "BACLOFEN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'store.sqlite3'}"


def _admin_url() -> URL:
    return async_url(POSTGRES_ADMIN_URL)


async def _execute(url: URL, *statements: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def admin_async(*statements: str, database: str | None = None) -> None:
    """Run statements on the PostgreSQL server (in the admin database, or ``database``)."""
    url = _admin_url() if database is None else _admin_url().set(database=database)
    await _execute(url, *statements)


def admin(*statements: str, database: str | None = None) -> None:
    """``admin_async`` for fixtures, which run outside the tests' event loop."""
    asyncio.run(admin_async(*statements, database=database))


def _create_database(prefix: str) -> str:
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        admin(f'CREATE DATABASE "{name}"')
    except Exception as error:
        where = _admin_url().render_as_string(hide_password=True)
        unavailable(f"PostgreSQL unreachable at {where}: {type(error).__name__}: {error}")
    return name


def _drop_database(name: str) -> None:
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_run_database() -> Iterator[str]:
    """The name of this run's own database, dropped when the run ends."""
    name = _create_database("baclofen_cds_test")
    yield name
    _drop_database(name)


@pytest.fixture
def postgres_url(postgres_run_database: str) -> str:
    """This run's database with an empty public schema: nothing left by an earlier test."""
    admin("DROP SCHEMA public CASCADE", "CREATE SCHEMA public", database=postgres_run_database)
    return _admin_url().set(database=postgres_run_database).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    return url


@dataclass(frozen=True)
class BlockablePostgres:
    """A database of its own that a test can make unreachable, as in an outage."""

    name: str
    url: str

    async def take_down(self) -> None:
        # Refuse new connections, then cut the ones open (the pool's): what clients see when
        # the server goes away.
        await admin_async(
            f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false',
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()",
        )

    async def bring_back(self) -> None:
        await admin_async(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')


@pytest.fixture
def blockable_postgres() -> Iterator[BlockablePostgres]:
    name = _create_database("baclofen_cds_outage")
    yield BlockablePostgres(
        name, _admin_url().set(database=name).render_as_string(hide_password=False)
    )
    _drop_database(name)
