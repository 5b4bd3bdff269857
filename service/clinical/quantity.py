"""Amounts of baclofen, exact at the resolution doses are given in.

Doses are discrete: whole or half tablets, measurable volumes, 5 mcg steps of a pump. The
arithmetic on them is done in floating point, which leaves noise (3 x 33.3333 is not 100,
0.1 + 0.2 is not 0.3): compared as they are, a dose of exactly the maximum could read as above
it. Every amount the rules compare or derive is therefore quantized here, once, to a
millionth of its unit (mg, or mcg intrathecal), far below any dose that can be measured and far
above the noise; with both sides quantized, comparisons elsewhere are plain ``>`` and ``<=``.

This is the only module that knows the resolution: nothing else rounds amounts or compares
them with a tolerance.
"""

from __future__ import annotations

import math

# Amounts are exact to 1 / SCALE of their unit.
SCALE = 1_000_000
# Beyond this no number is a dose (a pump's year holds less): larger ones are unreadable, and
# quantizing them would overflow.
LARGEST = 1e12


def is_amount(value: float | None) -> bool:
    """A number the arithmetic of amounts can take: finite and below ``LARGEST``."""
    return value is None or (math.isfinite(value) and abs(value) < LARGEST)


def micro_units(value: float) -> int:
    """``value`` as a whole number of millionths of its unit (the one rounding of amounts)."""
    return round(value * SCALE)


def amount(value: float) -> float:
    """``value`` at the resolution of amounts: what every comparison of doses compares."""
    return micro_units(value) / SCALE


def amount_sum(values: list[float] | tuple[float, ...]) -> float:
    """The total of ``values``, quantized (the doses of a day, the orders of a route)."""
    return amount(sum(values))


def whole_steps_in(value: float, step: float) -> int:
    """How many whole ``step`` fit in ``value`` (rounded down: the limits are maxima)."""
    return micro_units(value) // micro_units(step)


def whole_steps_covering(value: float, step: float) -> int:
    """The fewest whole ``step`` reaching at least ``value`` (rounded up)."""
    return -(-micro_units(value) // micro_units(step))


def steps_of(count: int, step: float) -> float:
    """``count`` times ``step``, quantized."""
    return amount(count * step)


def is_multiple(value: float, step: float) -> bool:
    """Whether ``value`` is a whole number of ``step`` (a dose the product can give)."""
    return micro_units(value) % micro_units(step) == 0


def is_whole(value: float) -> bool:
    """Whether ``value`` is a whole number, at the resolution of amounts."""
    return micro_units(value) % SCALE == 0


__all__ = [
    "SCALE",
    "amount",
    "amount_sum",
    "is_multiple",
    "is_whole",
    "micro_units",
    "steps_of",
    "whole_steps_covering",
    "whole_steps_in",
]
