"""The daily dose of several orders taken together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from service.clinical.quantity import amount_sum

if TYPE_CHECKING:
    from service.clinical.facts import BaclofenOrder


def combined_daily(
    orders: Sequence[BaclofenOrder], which: Literal["first_daily", "highest_daily"]
) -> float | None:
    """The orders' first or highest daily doses added up (None if one is unknown)."""
    values = [getattr(order.dose, which) for order in orders]
    if any(value is None for value in values):
        return None
    return amount_sum(values)


__all__ = ["combined_daily"]
