"""Feedback counts only from the client a card was issued to; unknown cards are bounded.

Found by a penetration test: issuer B could record outcomes on issuer A's cards, and feedback
for never-issued cards with 4.5 KB reason codes flooded the store (2,500 rows, 23 MB in 1.4 s).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from service.store import Store
from service.store import feedback as feedback_store
from service.store.analytics import RuleStats, Window, unmatched_feedback
from service.store.scope import ClientScope
from tests.store.helpers import T0, feedback, issued, rows

A, B = "https://ehr-a.example", "https://ehr-b.example"


def counts(stats: list[RuleStats]) -> dict[str, tuple[int, int, int]]:
    return {row.rule: (row.issued, row.accepted, row.overridden) for row in stats}


async def test_another_issuers_feedback_does_not_count(store: Store) -> None:
    await store.write_advice([issued("a-1", issuer=A), issued("b-1", "elderly", issuer=B)])
    from_b = await store.record_feedback([feedback("a-1", client=B)], ClientScope(B))
    assert from_b.statuses == ["stored"] and from_b.known_cards == set()  # unknown to B
    assert counts(await store.rule_stats(Window())) == {
        "dose-above-max": (1, 0, 0),
        "elderly": (1, 0, 0),
    }
    later = T0 + timedelta(minutes=1)  # the same card, outcome and time is the same item
    from_a = await store.record_feedback(
        [feedback("a-1", client=A, reason="x-1", at=later)], ClientScope(A)
    )
    assert from_a.known_cards == {"a-1"}
    stats = counts(await store.rule_stats(Window()))
    assert stats["dose-above-max"] == (1, 0, 1)
    # B's item names a card it was not issued: it stays unmatched.
    assert await unmatched_feedback(store.database, Window()) == 1


async def test_a_tenant_sees_and_counts_only_its_own_cards(store: Store) -> None:
    await store.write_advice(
        [issued("t-a", issuer=A, tenant="hospital-a"), issued("t-b", issuer=A, tenant="hospital-b")]
    )
    scope = ClientScope(A, "hospital-a")
    result = await store.record_feedback(
        [
            feedback("t-a", client=A, tenant="hospital-a"),
            feedback("t-b", client=A, tenant="hospital-a"),
        ],
        scope,
    )
    assert result.known_cards == {"t-a"}
    assert counts(await store.rule_stats(Window(), scope)) == {"dose-above-max": (1, 0, 1)}
    assert counts(await store.rule_stats(Window(), ClientScope(B))) == {}
    assert counts(await store.rule_stats(Window())) == {"dose-above-max": (2, 0, 1)}


async def test_cards_issued_to_no_client_take_anyones_feedback(store: Store) -> None:
    """Authentication off, or rows written before clients were recorded."""
    await store.write_advice([issued("open-1")])
    result = await store.record_feedback([feedback("open-1", client=B)], ClientScope(B))
    assert result.known_cards == {"open-1"}
    assert counts(await store.rule_stats(Window())) == {"dose-above-max": (1, 0, 1)}


async def test_feedback_on_unknown_cards_is_bounded_per_client(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feedback_store, "MAX_UNKNOWN_PER_DAY", 3)
    await store.write_advice([issued("known", issuer=A)])
    flood = [feedback(f"ghost-{i}", client=A) for i in range(5)]
    first = await store.record_feedback([*flood, feedback("known", client=A)], ClientScope(A))
    assert first.statuses == ["stored"] * 3 + ["not-stored"] * 2 + ["stored"]
    later = await store.record_feedback([feedback("ghost-9", client=A)], ClientScope(A))
    assert later.statuses == ["not-stored"]
    # Another client has an allowance of its own.
    other = await store.record_feedback([feedback("ghost-b", client=B)], ClientScope(B))
    assert other.statuses == ["stored"]
    stored = await rows(store.database, "feedback")
    assert len(stored) == 5
    assert sorted(bool(row["card_known"]) for row in stored) == [False] * 4 + [True]
