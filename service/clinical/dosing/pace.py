"""How fast an order raises the daily dose: each rise, its size and the days before it.

An order rises from the patient's current daily dose to its first step, then between its
consecutive steps. The titration limits judge each rise: its size (at most a step of the
titration) and the days since the change before it (at least the titration interval).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service.clinical.dosing.daily_dose import DoseStep
from service.clinical.quantity import amount


@dataclass(frozen=True)
class Rise:
    daily: float  # by how much the daily dose rises (mg/day)
    days: int | None  # days since the change before it; None when unknown


@dataclass(frozen=True)
class Pace:
    """The rises of an order against the titration limits."""

    rises: tuple[Rise, ...]
    max_step_daily: float
    interval_days: int

    @property
    def too_large(self) -> bool:
        return any(rise.daily > self.max_step_daily for rise in self.rises)

    @property
    def too_soon(self) -> tuple[Rise, ...]:
        return tuple(
            rise for rise in self.rises if rise.days is not None and rise.days < self.interval_days
        )

    @property
    def too_fast(self) -> bool:
        return self.too_large or bool(self.too_soon)

    @property
    def largest(self) -> float:
        return max((rise.daily for rise in self.rises), default=0.0)

    def days_since_change(self, otherwise: int | None) -> int | None:
        """The fewest days before a rise that came too soon, else ``otherwise``."""
        return min(
            (rise.days for rise in self.too_soon if rise.days is not None), default=otherwise
        )


def rises(before: float, steps: Sequence[DoseStep], days_to_first: int | None) -> tuple[Rise, ...]:
    """Each rise of the daily dose from ``before`` through ``steps`` (whose doses are known);
    the first comes ``days_to_first`` days after the last change, the others after the
    duration of the step before them."""
    found: list[Rise] = []
    previous = amount(before)
    for index, step in enumerate(steps):
        daily = amount(step.daily or 0.0)
        days = days_to_first if index == 0 else _whole_days(steps[index - 1].duration_days)
        if daily > previous:
            found.append(Rise(amount(daily - previous), days))
        previous = daily
    return tuple(found)


def _whole_days(duration: float | None) -> int | None:
    return int(duration) if duration is not None else None


__all__ = ["Pace", "Rise", "rises"]
