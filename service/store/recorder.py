"""The advice recorder: every card returned is written to the store, off the request path.

A hook call hands its cards to a bounded in-memory queue and answers at once; one background
task writes what is queued, in batches. Nothing is lost without a count: each card ends in
``baclofen_cds_advice_records_total`` as ``written``, ``dropped`` (the queue was full, or the
recorder was not running) or ``failed`` (the database refused or stayed unreachable through
the retries, or the service stopped before the card could be written). The queue's depth and
capacity are gauges (incremented and decremented, so that several recorders in one process,
as in tests, add up rather than overwrite each other).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from service.observability.card_record import CardRecord
from service.observability.metrics import (
    ADVICE_QUEUE_CAPACITY,
    ADVICE_QUEUE_DEPTH,
    ADVICE_RECORDING,
)
from service.store.advice import IssuedAdvice
from service.store.database import StoreUnavailable
from service.store.scope import ClientScope
from service.store.store import Store

log = logging.getLogger("baclofen_cds.advice")

NO_CLIENT = ClientScope(None)  # authentication off

# About a minute of cards at a few hundred hook calls a second: rides out a database restart.
DEFAULT_CAPACITY = 10_000  # hook calls (each with its cards)
BATCH_ROWS = 500
RETRY_DELAYS_S = (0.5, 2.0, 5.0)
DRAIN_TIMEOUT_S = 15.0
_DROP_LOG_INTERVAL_S = 10.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class AdviceRecorder:
    def __init__(
        self,
        store: Store,
        knowledge_version: str,
        *,
        capacity: int = DEFAULT_CAPACITY,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.knowledge_version = knowledge_version
        self.capacity = capacity
        self.retry_delays_s = tuple(retry_delays_s)
        self.clock = clock
        self._queue: asyncio.Queue[list[IssuedAdvice]] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._pending: dict[str, ClientScope] = {}  # queued or being written: to whom
        self._accepting = False
        self._dropped_unlogged = 0
        self._drop_logged_at = 0.0

    # The request side: never blocks, never raises.

    def record(
        self,
        service: str,
        hook: str,
        hook_instance: str,
        cards: Sequence[CardRecord],
        client: ClientScope = NO_CLIENT,
    ) -> None:
        if not cards:
            return
        issued_at = self.clock()
        rows = [
            IssuedAdvice(
                card_uuid=card.uuid,
                service=service,
                hook=hook,
                hook_instance=hook_instance,
                rule=card.rule,
                indicator=card.indicator,
                knowledge_version=self.knowledge_version,
                issued_at=issued_at,
                issuer=client.issuer,
                tenant=client.tenant,
            )
            for card in cards
        ]
        if self._queue is None or not self._accepting:
            self._drop(rows, "the advice recorder is not running")
            return
        try:
            self._queue.put_nowait(rows)
        except asyncio.QueueFull:
            self._drop(rows, "the advice queue is full")
            return
        ADVICE_QUEUE_DEPTH.inc()
        self._pending.update((row.card_uuid, client) for row in rows)

    def pending(self, card_uuids: Sequence[str], scope: ClientScope = NO_CLIENT) -> set[str]:
        """Those of the cards that are queued or being written now, issued to a client whose
        cards ``scope``'s feedback counts for."""
        return {
            card
            for card in card_uuids
            if (issued_to := self._pending.get(card)) is not None
            and scope.gives_feedback_on(issued_to)
        }

    # The lifecycle: started and stopped with the application.

    async def start(self) -> None:
        queue: asyncio.Queue[list[IssuedAdvice]] = asyncio.Queue(self.capacity)
        self._queue = queue  # the writer holds it too, so it never finds None
        ADVICE_QUEUE_CAPACITY.inc(self.capacity)
        self._accepting = True
        self._writer = asyncio.create_task(self._write_forever(queue), name="advice-recorder")

    async def flush(self) -> None:
        """Wait until every card queued so far has been written or counted as failed."""
        if self._queue is not None:
            await self._queue.join()

    async def stop(self, timeout_s: float = DRAIN_TIMEOUT_S) -> None:
        """Stop accepting, write what is queued (for at most ``timeout_s``), then stop."""
        self._accepting = False
        if self._queue is None or self._writer is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout_s)
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)
        lost = 0
        while not self._queue.empty():
            lost += len(self._queue.get_nowait())
            ADVICE_QUEUE_DEPTH.dec()
            self._queue.task_done()
        ADVICE_QUEUE_CAPACITY.dec(self.capacity)
        if lost:
            ADVICE_RECORDING.labels(result="failed").inc(lost)
            log.error("advice not recorded at shutdown", extra={"cards": lost})
        self._queue = None
        self._writer = None

    # The writer task.

    async def _write_forever(self, queue: asyncio.Queue[list[IssuedAdvice]]) -> None:
        while True:
            batches = [await queue.get()]
            rows = list(batches[0])
            while len(rows) < BATCH_ROWS and not queue.empty():
                batches.append(queue.get_nowait())
                rows.extend(batches[-1])
            ADVICE_QUEUE_DEPTH.dec(len(batches))
            try:
                await self._write_with_retries(rows)
            finally:
                for row in rows:
                    self._pending.pop(row.card_uuid, None)
                for _ in batches:
                    queue.task_done()

    async def _write_with_retries(self, rows: list[IssuedAdvice]) -> None:
        last_error = ""
        try:
            for delay in (0.0, *self.retry_delays_s):
                if delay:
                    await asyncio.sleep(delay)
                try:
                    await self.store.write_advice(rows)
                except StoreUnavailable as error:
                    last_error = str(error)
                    continue
                ADVICE_RECORDING.labels(result="written").inc(len(rows))
                return
        except asyncio.CancelledError:
            ADVICE_RECORDING.labels(result="failed").inc(len(rows))
            log.error("advice not recorded at shutdown", extra={"cards": len(rows)})
            raise
        except Exception as error:
            # A defect (a constraint we did not expect, say): retrying will not help. The
            # frames locate it; the message is left out as it may quote row values.
            ADVICE_RECORDING.labels(result="failed").inc(len(rows))
            log.error(
                "advice not recorded: %s\n%s",
                type(error).__name__,
                "".join(traceback.format_tb(error.__traceback__)),
                extra={"cards": len(rows)},
            )
            return
        ADVICE_RECORDING.labels(result="failed").inc(len(rows))
        log.error(
            "advice not recorded: the store stayed unreachable",
            extra={"cards": len(rows), "error": last_error},
        )

    def _drop(self, rows: list[IssuedAdvice], reason: str) -> None:
        ADVICE_RECORDING.labels(result="dropped").inc(len(rows))
        # Under overload every call would drop: one line per interval, with the count.
        self._dropped_unlogged += len(rows)
        now = time.monotonic()
        if now - self._drop_logged_at >= _DROP_LOG_INTERVAL_S:
            log.warning("advice dropped: %s", reason, extra={"cards": self._dropped_unlogged})
            self._dropped_unlogged = 0
            self._drop_logged_at = now
