"""Ordering a laboratory test or a measurement the checks need (a ServiceRequest)."""

from __future__ import annotations

from service.clinical.findings import OrderTest
from service.clinical.knowledge import Knowledge


def order_test(knowledge: Knowledge, key: str, label: str | None = None) -> OrderTest:
    """The test ``key`` of observations.yaml ``orders``, labelled "Order <test>" unless
    ``label`` says otherwise."""
    test = knowledge.observations.orders[key]
    return OrderTest(
        test.code, test.display, label or knowledge.words("order_test", display=test.display)
    )


__all__ = ["order_test"]
