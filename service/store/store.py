"""The store as the rest of the service sees it: one object per process over one database.

It migrates the schema once (at start-up, or at the first use after an outage at start-up),
bounds every operation in time, and reports every failure to reach the database as
``StoreUnavailable``, which routes answer with 503 and the advice recorder counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence, Set
from contextlib import asynccontextmanager

from service.store import advice, analytics, feedback, migrate
from service.store.advice import IssuedAdvice
from service.store.analytics import RuleStats, Window
from service.store.database import Database, StoreUnavailable, unavailability_as_error
from service.store.feedback import FeedbackRecord, StoredFeedback
from service.store.scope import ClientScope

log = logging.getLogger("baclofen_cds.store")

# An operation that has not finished by then will not finish usefully: the caller gets its 503
# (and retries) rather than holding a connection and the EHR's request.
OPERATION_TIMEOUT_S = 10.0
READINESS_TIMEOUT_S = 3.0


class Store:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._schema_current = False
        self._schema_lock: asyncio.Lock | None = None

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
        async with self._available():
            await self._ensure_schema()
            await advice.insert_issued(self.database, rows)

    async def record_feedback(
        self,
        records: Sequence[FeedbackRecord],
        scope: ClientScope | None = None,
        pending: Set[str] = frozenset(),
    ) -> StoredFeedback:
        """Store feedback from the client ``scope`` (default: none, authentication off)."""
        async with self._available():
            await self._ensure_schema()
            return await feedback.store_feedback(
                self.database, records, scope or ClientScope(None), pending
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

    @asynccontextmanager
    async def _available(self, timeout_s: float = OPERATION_TIMEOUT_S) -> AsyncIterator[None]:
        async with unavailability_as_error(), asyncio.timeout(timeout_s):
            yield


__all__ = ["Store", "StoreUnavailable"]
