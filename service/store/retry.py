"""Retrying a database operation that lost a lock conflict, with back-off, within a deadline.

A conflict (SQLite's "database is locked" after its busy timeout, a PostgreSQL deadlock or
serialization failure) says nothing about the database being unavailable: the transaction was
rolled back and the same operation succeeds once the other writer is done. Every write of the
store is idempotent (``INSERT ... ON CONFLICT DO NOTHING``), so running it again is safe.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

T = TypeVar("T")

FIRST_PAUSE_S = 0.02
LONGEST_PAUSE_S = 1.0

# sqlite3's primary result codes SQLITE_BUSY and SQLITE_LOCKED (extended codes share the low
# byte), and PostgreSQL's serialization_failure, deadlock_detected and lock_not_available.
_SQLITE_CONFLICT_CODES = frozenset({5, 6})
_POSTGRES_CONFLICT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_lock_conflict(error: BaseException) -> bool:
    """True for a failure that another transaction caused and a retry can overcome."""
    if not isinstance(error, DBAPIError) or error.connection_invalidated:
        return False
    original = error.orig
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_CONFLICT_CODES
    sqlstate = getattr(original, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate in _POSTGRES_CONFLICT_SQLSTATES


async def retry_lock_conflicts(
    operation: Callable[[], Awaitable[T]],
    *,
    timeout_s: float,
    first_pause_s: float = FIRST_PAUSE_S,
    longest_pause_s: float = LONGEST_PAUSE_S,
) -> T:
    """``operation()``, run again after a lock conflict until it succeeds or ``timeout_s`` ends.

    Pauses double from ``first_pause_s`` up to ``longest_pause_s``, each drawn at random below
    that bound ("full jitter") so that writers that collided do not collide again in step.
    Any other failure, and the last conflict when no time is left for another try, is raised;
    the deadline cuts a try that is still running (TimeoutError).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    bound = first_pause_s
    async with asyncio.timeout_at(deadline):
        while True:
            try:
                return await operation()
            except Exception as error:
                if not is_lock_conflict(error):
                    raise
                pause = random.uniform(0, bound)
                if loop.time() + pause >= deadline:
                    raise
            await asyncio.sleep(pause)
            bound = min(bound * 2, longest_pause_s)
