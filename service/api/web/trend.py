"""Periods of the analytics page and the geometry of its trend charts (pure: no I/O, no HTML).

A period is a run of whole calendar buckets (days, ISO weeks or months, in UTC) ending with the
current one, so that a bucket means the same thing on every visit ("week of 16 Nov") and the
page's window is plain dates, the same ones its JSON and CSV links carry.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Literal

Unit = Literal["day", "week", "month"]


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    unit: Unit
    count: int


PERIODS = (
    Period("7d", "Last 7 days, by day", "day", 7),
    Period("30d", "Last 30 days, by day", "day", 30),
    Period("13w", "Last 13 weeks, by week", "week", 13),
    Period("12m", "Last 12 months, by month", "month", 12),
)
DEFAULT_PERIOD = "30d"
BY_KEY = {period.key: period for period in PERIODS}


@dataclass(frozen=True)
class Bucket:
    start: dt.date  # inclusive
    end: dt.date  # exclusive

    def label(self, unit: Unit) -> str:
        if unit == "month":
            return f"{self.start:%b %Y}"
        if unit == "week":
            return f"week of {self.start.day} {self.start:%b}"
        return f"{self.start.day} {self.start:%b}"


def _month_start(day: dt.date, months_back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def buckets(period: Period, today: dt.date) -> list[Bucket]:
    """The period's buckets, oldest first; the last one holds ``today``."""
    if period.unit == "day":
        first = today - dt.timedelta(days=period.count - 1)
        return [
            Bucket(first + dt.timedelta(days=i), first + dt.timedelta(days=i + 1))
            for i in range(period.count)
        ]
    if period.unit == "week":
        monday = today - dt.timedelta(days=today.weekday())
        first = monday - dt.timedelta(weeks=period.count - 1)
        return [
            Bucket(first + dt.timedelta(weeks=i), first + dt.timedelta(weeks=i + 1))
            for i in range(period.count)
        ]
    # count + 1 boundaries: the first of the month count - 1 months back ... of next month
    starts = [_month_start(today, back) for back in range(period.count - 1, -2, -1)]
    return [Bucket(a, b) for a, b in itertools.pairwise(starts)]


@dataclass(frozen=True)
class TrendPoint:
    label: str
    issued: int
    overridden: int

    @property
    def rate(self) -> float | None:
        return self.overridden / self.issued if self.issued else None

    @property
    def text(self) -> str:
        if not self.issued:
            return f"{self.label}: no cards"
        return f"{self.label}: {self.overridden} of {self.issued} overridden ({self.rate:.0%})"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Chart:
    """What the SVG template draws: volume bars, the override rate as a broken line, labels."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bars: list[Bar]
    lines: list[str]  # SVG polyline points, one per run of buckets that issued cards
    dots: list[Dot]
    first_label: str
    last_label: str
    summary: str


WIDTH, HEIGHT = 260, 84
LEFT, RIGHT, TOP, BOTTOM = 34, 6, 8, 18


def trend_chart(points: list[TrendPoint]) -> Chart:
    """Override rate (0 to 100 %) per bucket over bars of the cards issued in it."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    most = max((point.issued for point in points), default=0) or 1
    base = TOP + plot_h
    bars: list[Bar] = []
    dots: list[Dot] = []
    lines: list[str] = []
    run: list[str] = []
    for index, point in enumerate(points):
        centre = LEFT + slot * (index + 0.5)
        if point.issued:
            height = plot_h * point.issued / most
            bars.append(Bar(centre - slot * 0.35, base - height, slot * 0.7, height, point.text))
        rate = point.rate
        if rate is None:
            if run:
                lines.append(" ".join(run))
            run = []
            continue
        y = base - plot_h * rate
        dots.append(Dot(centre, y, point.text))
        run.append(f"{centre:.1f},{y:.1f}")
    if run:
        lines.append(" ".join(run))
    with_cards = [point for point in points if point.issued]
    summary = "; ".join(point.text for point in with_cards) or "no cards in this period"
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=base,
        bars=bars,
        lines=lines,
        dots=dots,
        first_label=points[0].label if points else "",
        last_label=points[-1].label if points else "",
        summary=summary,
    )
