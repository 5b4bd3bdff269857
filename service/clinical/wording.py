"""Numbers and frequencies as a prescriber reads them, shared by rules, cards and resources."""

from __future__ import annotations

import math

from service.clinical.quantity import is_whole

FREQUENCY_WORDS = {1: "once daily", 2: "twice daily", 3: "three times daily", 4: "four times daily"}


def number(value: float) -> str:
    """120 -> '120', 2.5 -> '2.5', 3.4090909 -> '3.41', 37.25 -> '37.2', 0.015 -> '0.015',
    100.04 -> '100.04'.

    Two decimals below 10 and one above, but never so few that the rounding hides what
    matters: a value that is not whole never reads as a whole number (100.04 mg/day is above
    the 100 mg/day maximum), and a small one keeps two significant digits.
    """
    if not math.isfinite(value):
        return str(value)
    if is_whole(value):
        return str(round(value))
    digits = 2 if abs(value) < 10 else 1
    while True:
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
        shown = float(text)
        faithful = shown != 0 and not is_whole(shown) and abs(shown - value) <= abs(value) * 0.05
        if faithful or digits >= 9:
            return text
        digits += 1


def frequency_text(per_day: float) -> str:
    """3 → 'three times daily', 6 → 'every 4 hours', 5 → '5 times a day'."""
    if is_whole(per_day) and round(per_day) in FREQUENCY_WORDS:
        return FREQUENCY_WORDS[round(per_day)]
    if per_day > 0 and is_whole(24 / per_day):
        return f"every {round(24 / per_day)} hours"
    return f"{number(per_day)} times a day"


__all__ = ["FREQUENCY_WORDS", "frequency_text", "is_whole", "number"]
