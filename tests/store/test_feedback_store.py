"""Feedback is stored once per item, whatever the deliveries, and links to cards by uuid."""

from __future__ import annotations

import asyncio
from datetime import timedelta, timezone

from service.store import Store
from tests.store.helpers import T0, feedback, issued, rows


async def test_an_item_delivered_again_is_not_stored_again(store: Store) -> None:
    first = await store.record_feedback([feedback("c-1")])
    again = await store.record_feedback([feedback("c-1")])
    assert (first.stored, again.stored) == ([True], [False])
    assert len(await rows(store.database, "feedback")) == 1


async def test_a_repeat_within_one_call_is_a_duplicate(store: Store) -> None:
    result = await store.record_feedback([feedback("c-1"), feedback("c-2"), feedback("c-1")])
    assert result.stored == [True, True, False]


async def test_the_same_instant_in_another_offset_is_the_same_item(store: Store) -> None:
    plus_one = T0.astimezone(timezone(timedelta(hours=1)))
    await store.record_feedback([feedback("c-1", at=T0)])
    assert (await store.record_feedback([feedback("c-1", at=plus_one)])).stored == [False]
    later = await store.record_feedback([feedback("c-1", at=T0 + timedelta(microseconds=1))])
    assert later.stored == [True]


async def test_outcome_and_time_are_part_of_the_identity(store: Store) -> None:
    result = await store.record_feedback(
        [
            feedback("c-1", "overridden"),
            feedback("c-1", "accepted"),
            feedback("c-1", "overridden", at=T0 + timedelta(minutes=1)),
        ]
    )
    assert result.stored == [True, True, True]


async def test_concurrent_deliveries_of_one_item_store_it_once(store: Store) -> None:
    results = await asyncio.gather(
        *(store.record_feedback([feedback("c-1"), feedback(f"other-{i}")]) for i in range(40))
    )
    assert sum(result.stored[0] for result in results) == 1
    assert all(result.stored[1] for result in results)
    assert len(await rows(store.database, "feedback")) == 41


async def test_cards_are_flagged_known_only_when_issued(store: Store) -> None:
    await store.write_advice([issued("c-known")])
    result = await store.record_feedback([feedback("c-known"), feedback("c-unknown")])
    assert result.stored == [True, True]  # unknown cards are stored, not refused
    assert result.known_cards == {"c-known"}


async def test_stored_columns_hold_what_was_sent(store: Store) -> None:
    await store.record_feedback([feedback("c-1", reason="patient-tolerates", comment_length=12)])
    (row,) = await rows(store.database, "feedback")
    assert row["card_uuid"] == "c-1"
    assert row["outcome"] == "overridden"
    assert (row["reason_code"], row["reason_display"]) == ("patient-tolerates", "Patient Tolerates")
    assert row["comment_length"] == 12
