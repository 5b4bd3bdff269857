"""Alembic migrations, run programmatically (at start-up and by ``baclofen-cds migrate``).

The migration scripts ship inside the package (``service/store/migrations``), so an installed
service, the container included, can migrate its own database without a source checkout.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from service.store.database import SQLITE_IMMEDIATE, Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Serialises replicas that start together against one PostgreSQL database: the second waits,
# then finds the schema current. (On SQLite, BEGIN IMMEDIATE does the same.)
_PG_LOCK_KEY = 0x6BAC_10FE


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # the package always ships its migrations: a broken installation
        raise RuntimeError(f"no store migrations in {MIGRATIONS}")
    return head


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.run_sync(_current_revision)


async def upgrade(database: Database, revision: str = "head") -> None:
    await _run(database, "upgrade", revision)


async def downgrade(database: Database, revision: str) -> None:
    await _run(database, "downgrade", revision)


async def _run(database: Database, direction: str, revision: str) -> None:
    # Alembic keeps its running context in module globals: one migration at a time per
    # process. Store serialises its own; a process has one Store.
    async with database.engine.connect() as connection:
        connection = await connection.execution_options(**{SQLITE_IMMEDIATE: True})
        async with connection.begin():
            if database.dialect == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY}
                )
            await connection.run_sync(_alembic, direction, revision)


def _alembic(connection: Connection, direction: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    if direction == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
