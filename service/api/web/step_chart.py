"""The geometry of the printable schedule's step chart (pure: no I/O, no HTML).

Daily dose against day: a bar per step, and before day 1 the dose being left, if known. The
template ``_step_chart.svg`` draws it; numbers are laid out here so the template only places
them.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.clinical.schedules import Schedule
from service.clinical.wording import number

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40
OPEN_STEP_DAYS = 7  # how much of an open-ended last step the chart shows
NOW_DAYS = 3  # how wide the chart draws the dose being left, before day 1


@dataclass(frozen=True)
class Bar:
    """One step of the schedule (``index`` from 1), or the dose being left (``index`` 0)."""

    index: int
    daily: str  # the daily dose as written, "7.5"
    days: str  # the step's length, "" when open-ended or the dose being left
    open_end: bool
    x: float
    y: float
    width: float
    height: float
    centre: float  # where the bar's value is written, above it
    riser_from: float | None  # the previous bar's top, joined to this one by a vertical line


@dataclass(frozen=True)
class StepChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    baseline: int
    middle: float  # halfway up the axis, where the unit is written
    peak: str  # the highest daily dose, labelled at the top of the axis
    peak_y: float
    first_day_x: float
    last_day: str  # "day 28", "day 31+" when the last step is open-ended
    unit: str
    now: Bar | None
    steps: list[Bar]


def step_chart(schedule: Schedule, left_daily: float | None) -> StepChart:
    lengths = [step.days or OPEN_STEP_DAYS for step in schedule.steps]
    before = NOW_DAYS if left_daily is not None else 0
    total = sum(lengths)
    peak = max([step.daily for step in schedule.steps] + [left_daily or 0])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h

    def x(day: float) -> float:
        return LEFT + plot_w * (day + before) / (total + before)

    def y(dose: float) -> float:
        return TOP + plot_h * (1 - dose / (peak * 1.1))

    def bar(
        index: int, daily: float, days: str, start: float, end: float, riser_from: float | None
    ) -> Bar:
        top = y(daily)
        return Bar(
            index=index,
            daily=number(daily),
            days=days,
            open_end=index > 0 and not days,
            x=x(start),
            y=top,
            width=x(end) - x(start),
            height=baseline - top,
            centre=(x(start) + x(end)) / 2,
            riser_from=riser_from,
        )

    now = bar(0, left_daily, "", -before, 0, None) if left_daily is not None else None
    previous = now.y if now is not None else None
    steps = []
    day = 0.0
    for index, (step, length) in enumerate(zip(schedule.steps, lengths, strict=True), start=1):
        days = str(step.days) if step.days is not None else ""
        steps.append(bar(index, step.daily, days, day, day + length, previous))
        previous = steps[-1].y
        day += length
    open_ended = schedule.steps[-1].days is None
    return StepChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        baseline=baseline,
        middle=TOP + plot_h / 2,
        peak=number(peak),
        peak_y=y(peak),
        first_day_x=x(0),
        last_day=f"day {total}{'+' if open_ended else ''}",
        unit=schedule.unit,
        now=now,
        steps=steps,
    )
