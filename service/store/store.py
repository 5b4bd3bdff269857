"""The store as the rest of the service sees it: one object per process over one database.

It migrates the schema once (at start-up, or at the first use after an outage at start-up),
bounds every operation in time, and reports every failure to reach the database as
``StoreUnavailable``, which routes answer with 503 and the advice recorder counts.

Writes take turns (``service.store.turns``): SQLite has one writer at a time, and PostgreSQL
gets as many as leave the connection pool room for reads. A burst of feedback is a queue to
drain, not an outage (EHRs rarely send feedback again, so a 503 loses what the clinician
said): a write waits for its turn as long as writes are going in, and only then does its own
deadline start, within which a lock conflict with another process is retried
(``service.store.retry``). Before, the time a write spent behind the others (in the connection
pool, or in SQLite's busy handler, which polls with growing sleeps) ran against its own
deadline, and the last of a burst were refused while the database was working through them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence, Set
from contextlib import asynccontextmanager
from typing import TypeVar

from service.store import advice, analytics, feedback, migrate
from service.store.advice import IssuedAdvice
from service.store.analytics import RuleStats, Window
from service.store.database import Database, StoreUnavailable, unavailability_as_error
from service.store.feedback import FeedbackRecord, StoredFeedback
from service.store.retry import retry_lock_conflicts
from service.store.scope import ClientScope
from service.store.turns import WriterTurns

T = TypeVar("T")

log = logging.getLogger("baclofen_cds.store")

# A read that has not finished by then will not finish usefully: the caller gets its 503 (and
# retries) rather than holding a connection.
OPERATION_TIMEOUT_S = 10.0
READINESS_TIMEOUT_S = 3.0
# A write waiting for its turn gives up (503) when no write has gone in for WRITE_STALL_S: the
# database has stopped answering. While writes go in it waits, for WRITE_QUEUE_LIMIT_S at most:
# waiting costs the caller time, where a refusal costs the feedback, and a feedback call whose
# EHR stopped waiting is still stored.
WRITE_STALL_S = 30.0
WRITE_QUEUE_LIMIT_S = 300.0
# A write's own time, once its turn has come. The drivers bound a database that does not answer
# first (a refused or timed-out connection, PostgreSQL's command timeout, SQLite's busy
# timeout); this deadline holds whatever they do, and is long enough that a process whose event
# loop is busy with the rest of a burst does not cut its own writes short.
WRITE_TIMEOUT_S = 30.0


class Store:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._schema_current = False
        self._schema_lock: asyncio.Lock | None = None
        self.writer_turns = WriterTurns(
            database.concurrent_writers, stall_s=WRITE_STALL_S, limit_s=WRITE_QUEUE_LIMIT_S
        )

    async def start(self) -> None:
        """Migrate at start-up; an unreachable database is reported, not fatal.

        Hook calls need no database, so the service starts and answers them; feedback answers
        503 and readiness fails until the database is back, when the first use migrates.
        A migration that fails for another reason is a defect and stops the start-up.
        """
        try:
            async with self._available():
                await self._ensure_schema()
        except StoreUnavailable as error:
            log.error(
                "store unreachable at start-up; feedback and readiness fail until it is back",
                extra={"database": self.database.describe(), "error": str(error)},
            )

    async def close(self) -> None:
        await self.database.dispose()

    async def readiness(self) -> str:
        """ "ok", or why the store cannot be used now."""
        try:
            async with self._available(READINESS_TIMEOUT_S):
                await self._ensure_schema()
                await self.database.ping()
        except StoreUnavailable:
            return "unreachable"
        return "ok"

    async def write_advice(self, rows: Sequence[IssuedAdvice]) -> None:
        await self._write(lambda: advice.insert_issued(self.database, rows))

    async def record_feedback(
        self,
        records: Sequence[FeedbackRecord],
        scope: ClientScope | None = None,
        pending: Set[str] = frozenset(),
    ) -> StoredFeedback:
        """Store feedback from the client ``scope`` (default: none, authentication off)."""
        return await self._write(
            lambda: feedback.store_feedback(
                self.database, records, scope or ClientScope(None), pending
            )
        )

    async def rule_stats(self, window: Window, scope: ClientScope | None = None) -> list[RuleStats]:
        """The analytics of the cards issued to ``scope`` (default: every card)."""
        async with self._available():
            await self._ensure_schema()
            return await analytics.rule_stats(self.database, window, scope)

    async def _ensure_schema(self) -> None:
        if self._schema_current:
            return
        if self._schema_lock is None:
            self._schema_lock = asyncio.Lock()
        async with self._schema_lock:
            if not self._schema_current:
                await migrate.upgrade(self.database)
                self._schema_current = True

    async def _write(self, operation: Callable[[], Awaitable[T]]) -> T:
        """``operation`` run in its turn, within its deadline, lock conflicts retried."""

        async def migrated_then_operation() -> T:
            await self._ensure_schema()
            return await operation()

        async with unavailability_as_error(), self.writer_turns.turn():
            result = await retry_lock_conflicts(migrated_then_operation, timeout_s=WRITE_TIMEOUT_S)
            self.writer_turns.went_in()
            return result

    @asynccontextmanager
    async def _available(self, timeout_s: float = OPERATION_TIMEOUT_S) -> AsyncIterator[None]:
        async with unavailability_as_error(), asyncio.timeout(timeout_s):
            yield


__all__ = ["Store", "StoreUnavailable"]
