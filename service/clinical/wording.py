"""Numbers and frequencies as a prescriber reads them, shared by rules, cards and resources."""

from __future__ import annotations

FREQUENCY_WORDS = {1: "once daily", 2: "twice daily", 3: "three times daily", 4: "four times daily"}


def is_whole(value: float) -> bool:
    return abs(value - round(value)) < 1e-9


def number(value: float) -> str:
    """120 → '120', 2.5 → '2.5', 3.4090909 → '3.41', 37.25 → '37.2'."""
    if is_whole(value):
        return str(round(value))
    digits = 2 if abs(value) < 10 else 1
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def frequency_text(per_day: float) -> str:
    """3 → 'three times daily', 6 → 'every 4 hours', 5 → '5 times a day'."""
    if is_whole(per_day) and round(per_day) in FREQUENCY_WORDS:
        return FREQUENCY_WORDS[round(per_day)]
    if per_day > 0 and is_whole(24 / per_day):
        return f"every {round(24 / per_day)} hours"
    return f"{number(per_day)} times a day"
