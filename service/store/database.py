"""The engine of the advice and feedback store: SQLite (aiosqlite) or PostgreSQL (asyncpg).

One code path for both. The differences are confined here: connection options, and SQLite's
transaction handling, which the Python driver gets wrong for our purposes (it never opens a
transaction for DDL, so a migration interrupted half-way would leave half a schema). We take
over ``BEGIN`` as SQLAlchemy's documentation recommends, so every transaction, DDL included,
is atomic on both databases.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

# The driver each supported database runs on; a URL may name it or leave it out.
_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
_BACKEND_ALIASES = {"postgres": "postgresql"}

# libpq's TLS parameters, as PostgreSQL's own clients read them from a URL. asyncpg takes one
# `ssl` argument instead (a mode, or an SSLContext): postgres_tls translates.
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_SSL_FILES = ("sslrootcert", "sslcert", "sslkey")

# Short enough that a caller waiting on an unreachable database gets its 503 quickly; long
# enough for a PostgreSQL server under load.
CONNECT_TIMEOUT_S = 5
COMMAND_TIMEOUT_S = 15
SQLITE_BUSY_TIMEOUT_MS = 15_000
# Writes one process runs at once on PostgreSQL: the pool holds 5 connections and may open 10
# more; the rest stay for reads (analytics, readiness) while a burst of writes waits its turn.
POSTGRES_CONCURRENT_WRITERS = 10

# Execution option asking SQLite for the write lock when the transaction starts (migrations:
# two processes starting at once must not both try to create the schema).
SQLITE_IMMEDIATE = "baclofen_sqlite_immediate"


class StoreUnavailable(Exception):
    """The database cannot be reached (down, refusing connections, or timing out)."""


def async_url(url: str) -> URL:
    """The URL with the async driver this service uses; ValueError for anything else."""
    parsed = make_url(url)
    backend, _, driver = parsed.drivername.partition("+")
    backend = _BACKEND_ALIASES.get(backend, backend)
    expected = _DRIVERS.get(backend)
    if expected is None:
        raise ValueError(f"unsupported database {backend!r}: use a sqlite:// or postgresql:// URL")
    if driver and driver != expected:
        raise ValueError(f"{backend} is used through {expected}, not {driver}")
    return parsed.set(drivername=f"{backend}+{expected}")


def postgres_tls(url: URL) -> tuple[URL, dict[str, Any]]:
    """The URL without its libpq TLS parameters, and asyncpg's arguments for them.

    ``sslmode`` as in libpq: ``disable``, ``allow``, ``prefer`` (asyncpg's default, as libpq's),
    ``require`` (encrypted, the server not verified, unless ``sslrootcert`` is given: then its
    chain is, as libpq does), ``verify-ca`` (the chain), ``verify-full`` (the chain and the host
    name). ``sslrootcert`` names the CA file (default: the system's CAs, where libpq would read
    ``~/.postgresql/root.crt``); ``sslcert`` and ``sslkey`` a client certificate. Anything else
    starting with ``ssl`` is refused: a misspelt parameter must not quietly mean "no TLS".
    """
    query = dict(url.query)
    unknown = sorted(
        k for k in query if k.startswith("ssl") and k not in ("ssl", "sslmode", *_SSL_FILES)
    )
    if unknown:
        raise ValueError(f"unsupported PostgreSQL URL parameter {unknown[0]!r}")
    if "ssl" in query and "sslmode" in query:
        raise ValueError("give sslmode or ssl in the PostgreSQL URL, not both")
    if "sslmode" not in query and not any(name in query for name in _SSL_FILES):
        return url, {}  # nothing asked, or asyncpg's own `ssl` parameter: passed on as is
    mode = query.pop("sslmode", "prefer")
    files = {name: query.pop(name) for name in _SSL_FILES if name in query}
    if not isinstance(mode, str) or mode not in SSL_MODES:
        raise ValueError(f"sslmode must be one of {', '.join(SSL_MODES)}, not {mode!r}")
    stripped = url.difference_update_query(["sslmode", *_SSL_FILES])
    if mode in ("disable", "allow", "prefer") and files:
        # A CA or a certificate with a mode that uses neither is a mistake, likely a missing
        # sslmode=verify-full: refused rather than read as "do not verify".
        raise ValueError(f"{', '.join(files)} need sslmode=require or stricter, not {mode}")
    if not files and mode in ("disable", "allow", "prefer", "require"):
        return stripped, {"ssl": mode}  # nothing to verify: asyncpg's modes are libpq's
    return stripped, {"ssl": _tls_context(mode, files)}


def _tls_context(mode: str, files: dict[str, Any]) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(cafile=files.get("sslrootcert"))
        context.check_hostname = mode == "verify-full"
        if mode == "require" and "sslrootcert" not in files:
            context.verify_mode = ssl.CERT_NONE  # require: encrypted, the server not verified
        if "sslcert" in files:
            context.load_cert_chain(files["sslcert"], keyfile=files.get("sslkey"))
    except (OSError, ssl.SSLError) as error:
        # File names are configuration, not secrets: say which one.
        raise ValueError(f"PostgreSQL TLS files {files}: {error}") from error
    return context


# PostgreSQL error classes that mean the server, not the statement, is the problem: connection
# exceptions, insufficient resources (too many connections), operator intervention (shutdown,
# restart in progress).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")


def is_unavailable(error: BaseException) -> bool:
    """True for failures that mean "the database is not there", as opposed to a defect."""
    if isinstance(error, StoreUnavailable | OSError | TimeoutError):
        return True
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return error.connection_invalidated or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)


@asynccontextmanager
async def unavailability_as_error() -> AsyncIterator[None]:
    """Re-raise "the database is not there" as StoreUnavailable; defects pass unchanged."""
    try:
        yield
    except StoreUnavailable:
        raise
    except Exception as error:
        if is_unavailable(error):
            # The driver's message can quote the URL; the type is enough to act on.
            raise StoreUnavailable(type(error).__name__) from error
        raise


class Database:
    """An async engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        self.dialect = self.url.get_backend_name()
        connect_url, tls = (
            postgres_tls(self.url) if self.dialect == "postgresql" else (self.url, {})
        )
        options = _engine_options(connect_url)
        options.setdefault("connect_args", {}).update(tls)
        # hide_parameters: statements' values never appear in exceptions or logs.
        self.engine: AsyncEngine = create_async_engine(connect_url, hide_parameters=True, **options)
        event.listen(self.engine.sync_engine, "handle_error", _connecting_failed)
        if self.dialect == "sqlite":
            _take_over_sqlite_transactions(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def concurrent_writers(self) -> int:
        """Write transactions worth running at once: SQLite serialises writers anyway."""
        return 1 if self.dialect == "sqlite" else POSTGRES_CONCURRENT_WRITERS

    def describe(self) -> str:
        """The URL without its password: safe for logs and error messages."""
        return self.url.render_as_string(hide_password=True)

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _connecting_failed(context: ExceptionContext) -> BaseException | None:
    # Whatever stops a connection from being made (refused, timed out, "not accepting
    # connections", bad credentials after a failover) means the database cannot be used now,
    # and the drivers report these with unrelated exception classes.
    if context.connection is None and not context.is_pre_ping:
        return StoreUnavailable(type(context.original_exception).__name__)
    return None


def _engine_options(url: URL) -> dict[str, Any]:
    if url.get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    return {
        # A pooled connection that died with a server restart is replaced, not handed out.
        "pool_pre_ping": True,
        "connect_args": {
            "timeout": CONNECT_TIMEOUT_S,
            "command_timeout": COMMAND_TIMEOUT_S,
            "server_settings": {"application_name": "baclofen-cds"},
        },
    }


def _take_over_sqlite_transactions(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN is switched off: the "begin" hook below emits it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers (analytics, readiness) go on while a writer holds the lock.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
