"""Writes take turns and wait for them; lock conflicts are retried; both within bounds."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from service.store import Database, Store, StoreUnavailable
from service.store import database as database_module
from service.store import store as store_module
from service.store.retry import is_lock_conflict, retry_lock_conflicts
from service.store.turns import WriterTurns
from tests.databases import sqlite_url
from tests.store.helpers import feedback, rows


async def hold_every_turn(turns: WriterTurns, stack: AsyncExitStack) -> None:
    for _ in range(turns.slots):
        await stack.enter_async_context(turns.turn())


async def take_a_turn(turns: WriterTurns) -> None:
    async with turns.turn():
        pass


async def test_a_write_waits_for_its_turn_without_spending_its_deadline(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before writes took turns, time spent behind other writers counted against the write's
    # own deadline, and the last of a burst were refused with 503.
    monkeypatch.setattr(store_module, "WRITE_TIMEOUT_S", 0.2)
    async with AsyncExitStack() as stack:
        await hold_every_turn(store.writer_turns, stack)
        waiting = asyncio.create_task(store.record_feedback([feedback("card-1")]))
        await asyncio.sleep(0.6)  # three times the write's deadline, spent in line
        assert not waiting.done()
    assert (await waiting).stored == [True]
    assert len(await rows(store.database, "feedback")) == 1


async def test_a_write_gives_up_when_no_write_goes_in(store: Store) -> None:
    store.writer_turns.stall_s = 0.1
    async with AsyncExitStack() as stack:
        await hold_every_turn(store.writer_turns, stack)
        with pytest.raises(StoreUnavailable):
            await store.record_feedback([feedback("card-1")])
    assert await rows(store.database, "feedback") == []


async def test_a_write_waits_while_the_line_moves() -> None:
    turns = WriterTurns(1, stall_s=1.0, limit_s=60)
    async with AsyncExitStack() as stack:
        await hold_every_turn(turns, stack)
        waiting = asyncio.create_task(take_a_turn(turns))
        for _ in range(20):  # two seconds of writes going in, ten a second: twice the stall
            await asyncio.sleep(0.1)
            turns.went_in()
        assert not waiting.done()
    await waiting  # its turn came


async def test_a_write_waits_no_longer_than_the_limit_however_the_line_moves() -> None:
    turns = WriterTurns(1, stall_s=60, limit_s=0.3)
    async with AsyncExitStack() as stack:
        await hold_every_turn(turns, stack)
        waiting = asyncio.create_task(take_a_turn(turns))
        while not waiting.done():
            await asyncio.sleep(0.05)
            turns.went_in()
    with pytest.raises(TimeoutError):
        await waiting


def test_sqlite_writes_one_at_a_time_postgresql_several(tmp_path: Path) -> None:
    assert Database(sqlite_url(tmp_path)).concurrent_writers == 1
    assert Database("postgresql://db.invalid/x").concurrent_writers > 1


@pytest.fixture
async def sqlite_store_with_short_busy_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Store]:
    # SQLite answers "database is locked" once its busy timeout passes: made short here so that
    # the conflict reaches the store's retries at once.
    monkeypatch.setattr(database_module, "SQLITE_BUSY_TIMEOUT_MS", 20)
    store = Store(Database(sqlite_url(tmp_path)))
    await store.start()
    yield store
    await store.close()


async def test_a_write_locked_out_by_another_process_is_retried_until_it_goes_in(
    sqlite_store_with_short_busy_wait: Store, tmp_path: Path
) -> None:
    store = sqlite_store_with_short_busy_wait
    other_process = sqlite3.connect(tmp_path / "store.sqlite3", isolation_level=None)
    try:
        other_process.execute("BEGIN IMMEDIATE")  # holds SQLite's one write lock
        write = asyncio.create_task(store.record_feedback([feedback("card-1")]))
        await asyncio.sleep(0.5)  # many busy timeouts: the write keeps retrying
        assert not write.done()
        other_process.execute("COMMIT")
        assert (await write).stored == [True]
    finally:
        other_process.close()
    assert len(await rows(store.database, "feedback")) == 1


def sqlite_locked_error() -> OperationalError:
    database_locked = sqlite3.OperationalError("database is locked")
    database_locked.sqlite_errorcode = sqlite3.SQLITE_BUSY
    return OperationalError("INSERT ...", {}, database_locked)


class PostgresError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def test_lock_conflicts_are_told_from_other_failures() -> None:
    assert is_lock_conflict(sqlite_locked_error())
    for sqlstate in ("40001", "40P01", "55P03"):  # serialization, deadlock, lock not available
        assert is_lock_conflict(DBAPIError("INSERT ...", {}, PostgresError(sqlstate)))
    cannot_open = sqlite3.OperationalError("unable to open database file")
    cannot_open.sqlite_errorcode = sqlite3.SQLITE_CANTOPEN
    assert not is_lock_conflict(OperationalError("SELECT 1", {}, cannot_open))
    assert not is_lock_conflict(DBAPIError("INSERT ...", {}, PostgresError("23505")))
    assert not is_lock_conflict(DBAPIError("INSERT ...", {}, PostgresError("08006")))
    assert not is_lock_conflict(ConnectionRefusedError())


async def test_retries_stop_at_the_first_other_failure() -> None:
    attempts = 0

    async def refused() -> None:
        nonlocal attempts
        attempts += 1
        raise (sqlite_locked_error() if attempts == 1 else ConnectionRefusedError())

    with pytest.raises(ConnectionRefusedError):
        await retry_lock_conflicts(refused, timeout_s=30)
    assert attempts == 2


async def test_retries_stop_at_the_deadline() -> None:
    attempts = 0

    async def always_locked() -> None:
        nonlocal attempts
        attempts += 1
        raise sqlite_locked_error()

    with pytest.raises((OperationalError, TimeoutError)):
        await retry_lock_conflicts(always_locked, timeout_s=0.3, longest_pause_s=0.05)
    assert attempts > 1
