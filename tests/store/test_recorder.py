"""The advice recorder: every card written off the request path, or counted when it is not."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from cds_hooks.response import new_uuid
from service.observability.card_record import CardRecord
from service.store import AdviceRecorder, Database, Store, StoreUnavailable
from service.store.advice import IssuedAdvice
from service.store.scope import ClientScope
from tests.store.helpers import T0, advice_count, issued, issued_cards, queue_gauge


def card(rule: str = "dose-above-max", indicator: str = "critical") -> CardRecord:
    return CardRecord(new_uuid(), rule, indicator)


class UnreachableStore(Store):
    """A store whose database is down. (Real outages are exercised in tests/api.)"""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(Database(f"sqlite+aiosqlite:///{tmp_path / 'never-opened.sqlite3'}"))
        self.attempts = 0

    async def write_advice(self, rows: Sequence[IssuedAdvice]) -> None:
        self.attempts += 1
        raise StoreUnavailable("ConnectionRefusedError")


async def test_every_card_is_recorded_with_its_context(store: Store) -> None:
    written = advice_count("written")
    recorder = AdviceRecorder(store, "2.3.0", clock=lambda: T0)
    await recorder.start()
    cards = [card("dose-above-max", "critical"), card("tablet-strength", "info")]
    client = ClientScope("https://ehr.example.org", "hospital-a")
    recorder.record("baclofen-order-sign", "order-sign", "hook-1", cards, client)
    await recorder.stop()

    common = {
        "service": "baclofen-order-sign",
        "hook": "order-sign",
        "hook_instance": "hook-1",
        "knowledge_version": "2.3.0",
        "issued_at": T0,
        "issuer": "https://ehr.example.org",
        "tenant": "hospital-a",
    }
    assert await issued_cards(store.database) == [
        {"card_uuid": cards[0].uuid, "rule": "dose-above-max", "indicator": "critical", **common},
        {"card_uuid": cards[1].uuid, "rule": "tablet-strength", "indicator": "info", **common},
    ]
    assert advice_count("written") - written == 2


async def test_a_full_queue_drops_and_counts_but_keeps_what_it_holds(store: Store) -> None:
    dropped = advice_count("dropped")
    recorder = AdviceRecorder(store, "v", capacity=1)
    await recorder.start()
    kept = card()
    # No await in between: the writer cannot empty the queue, so the second call finds it full.
    recorder.record("s", "order-sign", "h-1", [kept])
    recorder.record("s", "order-sign", "h-2", [card(), card()])
    assert advice_count("dropped") - dropped == 2
    await recorder.stop()
    assert [row["card_uuid"] for row in await issued_cards(store.database)] == [kept.uuid]


async def test_a_recorder_that_is_not_running_counts_the_cards_dropped(store: Store) -> None:
    dropped = advice_count("dropped")
    AdviceRecorder(store, "v").record("s", "order-sign", "h", [card()])
    assert advice_count("dropped") - dropped == 1


async def test_an_unreachable_store_counts_the_cards_failed_after_retries(
    tmp_path: Path,
) -> None:
    failed, written = advice_count("failed"), advice_count("written")
    store = UnreachableStore(tmp_path)
    recorder = AdviceRecorder(store, "v", retry_delays_s=(0.01, 0.01))
    await recorder.start()
    recorder.record("s", "order-sign", "h", [card(), card(), card()])
    await recorder.flush()
    assert store.attempts == 3
    assert advice_count("failed") - failed == 3
    assert advice_count("written") == written
    await recorder.stop()


async def test_stop_writes_everything_queued_first(store: Store) -> None:
    recorder = AdviceRecorder(store, "v")
    await recorder.start()
    for call in range(50):
        recorder.record("s", "order-sign", f"h-{call}", [card(), card(), card()])
    await recorder.stop()
    assert len(await issued_cards(store.database)) == 150


async def test_stop_counts_what_it_could_not_write_in_time(tmp_path: Path) -> None:
    failed = advice_count("failed")
    recorder = AdviceRecorder(UnreachableStore(tmp_path), "v", retry_delays_s=(30.0,))
    await recorder.start()
    for call in range(5):
        recorder.record("s", "order-sign", f"h-{call}", [card(), card()])
    await recorder.stop(timeout_s=0.2)
    assert advice_count("failed") - failed == 10


async def test_cards_are_pending_until_written(store: Store) -> None:
    recorder = AdviceRecorder(store, "v")
    await recorder.start()
    queued = card()
    recorder.record("s", "order-sign", "h", [queued])
    assert recorder.pending([queued.uuid, "other"]) == {queued.uuid}
    await recorder.flush()
    assert recorder.pending([queued.uuid]) == set()
    await recorder.stop()


async def test_a_batch_written_twice_is_stored_once(store: Store) -> None:
    # The writer may retry a batch whose first attempt did commit (a lost reply).
    rows = [issued("c-1"), issued("c-2")]
    await store.write_advice(rows)
    await store.write_advice(rows)
    assert [row["card_uuid"] for row in await issued_cards(store.database)] == ["c-1", "c-2"]


class HeldStore(Store):
    """A store whose writes wait until the test lets them through."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(Database(f"sqlite+aiosqlite:///{tmp_path / 'never-opened.sqlite3'}"))
        self.writing = asyncio.Event()
        self.release = asyncio.Event()

    async def write_advice(self, rows: Sequence[IssuedAdvice]) -> None:
        self.writing.set()
        await self.release.wait()


async def test_the_queue_depth_and_capacity_are_gauges(tmp_path: Path) -> None:
    depth, capacity = queue_gauge("depth"), queue_gauge("capacity")
    store = HeldStore(tmp_path)
    recorder = AdviceRecorder(store, "v", capacity=50)
    await recorder.start()
    assert queue_gauge("capacity") - capacity == 50
    recorder.record("s", "order-sign", "h-1", [card()])
    await asyncio.wait_for(store.writing.wait(), 10)  # the writer holds h-1: no longer queued
    for n in range(2, 5):
        recorder.record("s", "order-sign", f"h-{n}", [card(), card()])
    assert queue_gauge("depth") - depth == 3
    store.release.set()
    await recorder.flush()
    assert queue_gauge("depth") == depth
    await recorder.stop()
    assert queue_gauge("capacity") == capacity
