"""Judging an answer against a scenario's ``expect`` block (the format of the shared
scenarios: present, absent, strict, empty)."""

from __future__ import annotations

from typing import Any

SEVERITY = {"info": 0, "warning": 1, "critical": 2}


def problems(expect: dict[str, Any], body: dict[str, Any]) -> list[str]:
    """What is wrong with ``body`` for ``expect``; empty when it is right."""
    cards = body["cards"]
    if expect.get("empty"):
        return [] if body == {"cards": []} else [f"expected no cards, got {body}"]
    got = {card["source"]["topic"]["code"]: card["indicator"] for card in cards}
    found = [
        f"{code}: expected {indicator}, got {got.get(code)}"
        for code, indicator in expect.get("present", {}).items()
        if got.get(code) != indicator
    ]
    found += [f"unexpected {code}" for code in expect.get("absent", []) if code in got]
    if expect.get("strict"):
        found += [
            f"unexpected {indicator} {code}"
            for code, indicator in got.items()
            if indicator != "info" and code not in expect.get("present", {})
        ]
    order = [SEVERITY[card["indicator"]] for card in cards]
    if order != sorted(order, reverse=True):
        found.append("cards are not ordered critical, warning, info")
    return found
