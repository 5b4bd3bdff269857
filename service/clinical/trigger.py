"""Why the clinical core is asked: an order being written, or a chart being opened."""

from __future__ import annotations

import enum

__all__ = ["Trigger"]


class Trigger(enum.Enum):
    """The moment in the prescriber's workflow a hook call stands for.

    The rules differ between the two: while an order is written the draft is judged against
    the patient's current therapy (dose changes, titration, tapering); when a chart is opened
    the patient's active orders are reviewed as they stand, and nothing is being changed.
    """

    ORDER_WRITTEN = "order-written"  # order-select, order-sign: the draft orders are judged
    CHART_OPENED = "chart-opened"  # patient-view: the active baclofen orders are reviewed

    @property
    def reviews_active_orders(self) -> bool:
        return self is Trigger.CHART_OPENED
