"""Periods of the analytics page (calendar buckets) and the geometry of its trend chart."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from service.api.web.trend import BY_KEY, PERIODS, Period, TrendPoint, buckets, trend_chart


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.key)
@pytest.mark.parametrize(
    "today", [dt.date(2026, 1, 1), dt.date(2026, 3, 31), dt.date(2026, 11, 23)]
)
def test_buckets_are_contiguous_and_end_with_today(period: Period, today: dt.date) -> None:
    spans = buckets(period, today)
    assert len(spans) == period.count
    assert all(a.end == b.start for a, b in itertools.pairwise(spans))
    assert spans[-1].start <= today < spans[-1].end


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    weeks = buckets(BY_KEY["13w"], dt.date(2026, 11, 26))  # a Thursday
    assert all(span.start.weekday() == 0 and (span.end - span.start).days == 7 for span in weeks)
    assert weeks[-1].start == dt.date(2026, 11, 23)
    months = buckets(BY_KEY["12m"], dt.date(2026, 2, 14))
    assert months[0].start == dt.date(2025, 3, 1)
    assert months[-1].start == dt.date(2026, 2, 1) and months[-1].end == dt.date(2026, 3, 1)
    assert [m.label("month") for m in months[-2:]] == ["Jan 2026", "Feb 2026"]


def test_days() -> None:
    days = buckets(BY_KEY["7d"], dt.date(2026, 11, 23))
    assert days[0].start == dt.date(2026, 11, 17)
    assert days[-1].label("day") == "23 Nov"


def test_the_rate_line_breaks_where_no_card_was_issued() -> None:
    points = [
        TrendPoint("a", 4, 1),
        TrendPoint("b", 2, 2),
        TrendPoint("c", 0, 0),
        TrendPoint("d", 1, 0),
    ]
    chart = trend_chart(points)
    assert len(chart.lines) == 2 and len(chart.lines[0].split()) == 2
    assert len(chart.dots) == 3 and len(chart.bars) == 3
    top, bottom = chart.top, chart.bottom
    rates = [(bottom - dot.y) / (bottom - top) for dot in chart.dots]
    assert rates == pytest.approx([0.25, 1.0, 0.0])
    # Bars are cards issued, scaled to the busiest bucket.
    assert chart.bars[0].height == pytest.approx(bottom - top)
    assert chart.bars[1].height == pytest.approx((bottom - top) / 2)
    assert chart.summary == (
        "a: 1 of 4 overridden (25%); b: 2 of 2 overridden (100%); d: 0 of 1 overridden (0%)"
    )


def test_an_empty_trend_draws_nothing() -> None:
    chart = trend_chart([TrendPoint("a", 0, 0)])
    assert (chart.lines, chart.dots, chart.bars) == ([], [], [])
    assert chart.summary == "no cards in this period"
