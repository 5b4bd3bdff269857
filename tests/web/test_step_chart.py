"""The geometry of the printable schedule's step chart: a bar per step, the dose being left
before day 1, every bar standing on the axis and none above the top."""

from __future__ import annotations

import itertools

import pytest

from service.api.web.step_chart import step_chart
from service.clinical.dosing.products import Form, Product
from service.clinical.schedules import Schedule, ScheduleKind, Step

TABLETS = Product(Form.TABLET, "", strength_mg=10)


def taper(last_days: int | None) -> Schedule:
    steps = (Step((10, 10, 10), 3), Step((5, 5, 5), 3), Step((5,), last_days))
    return Schedule(ScheduleKind.TAPER, "mg", steps, TABLETS)


def test_a_bar_per_step_left_to_right_standing_on_the_axis() -> None:
    chart = step_chart(taper(4), left_daily=None)
    assert [bar.index for bar in chart.steps] == [1, 2, 3]
    assert [bar.daily for bar in chart.steps] == ["30", "15", "5"]
    assert all(a.x + a.width == pytest.approx(b.x) for a, b in itertools.pairwise(chart.steps))
    assert all(bar.y + bar.height == pytest.approx(chart.baseline) for bar in chart.steps)
    assert all(chart.top <= bar.y for bar in chart.steps)
    assert chart.now is None and chart.steps[0].riser_from is None
    assert chart.last_day == "day 10" and chart.peak == "30"


def test_the_dose_being_left_comes_first_and_is_the_peak_when_highest() -> None:
    chart = step_chart(taper(4), left_daily=45)
    assert chart.now is not None and chart.now.daily == "45"
    assert chart.now.x + chart.now.width == pytest.approx(chart.steps[0].x)
    assert chart.steps[0].riser_from == pytest.approx(chart.now.y)
    assert chart.peak == "45" and chart.now.y < chart.steps[0].y


def test_an_open_ended_last_step_is_drawn_open_and_labelled_so() -> None:
    chart = step_chart(taper(None), left_daily=None)
    assert [bar.open_end for bar in chart.steps] == [False, False, True]
    assert chart.steps[-1].days == "" and chart.last_day.endswith("+")
