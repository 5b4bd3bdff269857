"""Override analytics from the store: counts, rates, reasons and windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.store import Store
from service.store.analytics import (
    ReasonCount,
    RuleStats,
    Window,
    WindowError,
    unmatched_feedback,
)
from tests.store.helpers import T0, feedback, issued

HOUR = timedelta(hours=1)


async def test_rows_per_service_and_rule_with_rates(store: Store) -> None:
    await store.write_advice(
        [
            issued("a1", "dose-above-max"),
            issued("a2", "dose-above-max"),
            issued("a3", "dose-above-max"),
            issued("a4", "dose-above-max"),
            issued("b1", "tablet-strength"),
            issued("v1", "dose-above-max", service="baclofen-order-select"),
        ]
    )
    await store.record_feedback(
        [
            feedback("a1", "overridden", reason="patient-tolerates"),
            feedback("a2", "overridden", reason="patient-tolerates"),
            feedback("a3", "overridden", reason="benefit-outweighs-risk"),
            feedback("a4", "accepted"),
            # The same card reported again later counts once.
            feedback("a1", "overridden", at=T0 + HOUR, reason="patient-tolerates"),
            # Feedback on a card never issued is stored but belongs to no rule.
            feedback("ghost", "overridden", reason="patient-tolerates"),
        ]
    )
    stats = await store.rule_stats(Window())
    assert stats == [
        RuleStats("baclofen-order-select", "dose-above-max", 1, 0, 0, []),
        RuleStats(
            "baclofen-order-sign",
            "dose-above-max",
            issued=4,
            accepted=1,
            overridden=3,
            top_override_reasons=[
                ReasonCount("patient-tolerates", "Patient Tolerates", 2),
                ReasonCount("benefit-outweighs-risk", "Benefit Outweighs Risk", 1),
            ],
        ),
        RuleStats("baclofen-order-sign", "tablet-strength", 1, 0, 0, []),
    ]
    assert stats[1].override_rate == 0.75


async def test_at_most_five_reasons_most_frequent_first(store: Store) -> None:
    cards = [f"c{i}" for i in range(12)]
    await store.write_advice([issued(card) for card in cards])
    reasons = ["r-a", "r-b", "r-b", "r-c", "r-c", "r-c", "r-d", "r-e", "r-f", "r-g", "r-a", "r-a"]
    await store.record_feedback(
        [feedback(card, reason=reason) for card, reason in zip(cards, reasons, strict=True)]
    )
    (row,) = await store.rule_stats(Window())
    assert [(r.code, r.count) for r in row.top_override_reasons] == [
        ("r-a", 3),
        ("r-c", 3),
        ("r-b", 2),
        ("r-d", 1),
        ("r-e", 1),
    ]


async def test_the_window_selects_cards_by_issue_time(store: Store) -> None:
    await store.write_advice(
        [
            issued("early", at=T0 - HOUR),
            issued("start", at=T0),
            issued("inside", at=T0 + HOUR),
            issued("end", at=T0 + 2 * HOUR),
        ]
    )
    # Feedback given after the window still counts for a card issued inside it.
    await store.record_feedback([feedback("inside", at=T0 + 30 * HOUR)])
    (row,) = await store.rule_stats(Window(since=T0, until=T0 + 2 * HOUR))
    assert (row.issued, row.overridden) == (2, 1)
    assert await store.rule_stats(Window(since=T0 + 3 * HOUR)) == []


async def test_feedback_on_cards_never_issued_is_counted_apart(store: Store) -> None:
    await store.write_advice([issued("known")])
    await store.record_feedback(
        [feedback("known"), feedback("ghost-1"), feedback("ghost-2", at=T0 + 5 * HOUR)]
    )
    assert await unmatched_feedback(store.database, Window()) == 2
    assert await unmatched_feedback(store.database, Window(until=T0 + HOUR)) == 1


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (None, None, Window()),
        ("2026-11-01", None, Window(since=datetime(2026, 11, 1, tzinfo=UTC))),
        ("2026-11-01T12:00:00Z", None, Window(since=datetime(2026, 11, 1, 12, tzinfo=UTC))),
        (None, "2026-11-01T13:00:00+01:00", Window(until=datetime(2026, 11, 1, 12, tzinfo=UTC))),
        ("2026-11-01T12:00", "", Window(since=datetime(2026, 11, 1, 12, tzinfo=UTC))),
    ],
)
def test_windows_from_iso_text(since: str | None, until: str | None, expected: Window) -> None:
    assert Window.parse(since, until) == expected


@pytest.mark.parametrize(
    ("since", "until", "parameter"),
    [
        ("yesterday", None, "since"),
        (None, "2026-13-01", "until"),
        ("2026-11-02", "2026-11-01", "since"),
        ("2026-11-01", "2026-11-01", "since"),
    ],
)
def test_bad_windows_name_the_parameter(
    since: str | None, until: str | None, parameter: str
) -> None:
    with pytest.raises(WindowError) as raised:
        Window.parse(since, until)
    assert raised.value.parameter == parameter
