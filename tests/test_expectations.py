"""The scenario judge itself: it must catch what it is there to catch."""

from __future__ import annotations

from typing import Any

from tests.expectations import problems


def card(code: str, indicator: str) -> dict[str, Any]:
    return {"indicator": indicator, "source": {"topic": {"code": code}}}


def test_missing_wrong_unexpected_and_misordered_cards_are_reported() -> None:
    expect = {"present": {"a": "critical", "b": "warning"}, "absent": ["c"], "strict": True}
    body = {"cards": [card("a", "warning"), card("c", "info"), card("d", "critical")]}
    found = problems(expect, body)
    assert "a: expected critical, got warning" in found
    assert "b: expected warning, got None" in found
    assert "unexpected c" in found
    assert "unexpected critical d" in found
    assert "cards are not ordered critical, warning, info" in found


def test_a_right_answer_has_no_problems() -> None:
    expect = {"present": {"a": "critical"}, "absent": [], "strict": True}
    assert problems(expect, {"cards": [card("a", "critical"), card("z", "info")]}) == []
    assert problems({"empty": True}, {"cards": []}) == []
    assert problems({"empty": True}, {"cards": [card("z", "info")]})
