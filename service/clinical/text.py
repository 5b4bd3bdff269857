"""Text from the record, bounded before any pattern reads it.

Every text the rules read (medication names and displays, dosage text, condition and
observation text) comes from the caller and can be as long as the request body allows. A
regular expression's work grows with the text it scans, so no pattern of the clinical core is
ever applied to more than ``MAX_TEXT_CHARS`` characters: ``BoundedPattern`` is the only way the
core holds a compiled pattern, and it cuts the text first. The patterns themselves are linear
(no nested or overlapping quantifiers over unbounded input), so together they bound the time
any one text can take.

No real medication name, sig or problem-list entry comes near the bound; what lies beyond it
is not read, exactly as if it were absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

MAX_TEXT_CHARS = 1_000


def bounded(text: str) -> str:
    """The part of ``text`` the clinical core reads: its first ``MAX_TEXT_CHARS`` characters."""
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS]


class BoundedPattern:
    """A compiled pattern that reads at most ``MAX_TEXT_CHARS`` characters of any text."""

    __slots__ = ("pattern",)

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    @classmethod
    def compile(cls, source: str, flags: int = 0) -> BoundedPattern:
        return cls(re.compile(source, flags))

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(bounded(text))

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(bounded(text))

    def sub(self, replacement: str, text: str) -> str:
        """``text`` (bounded) with every match replaced."""
        return self.pattern.sub(replacement, bounded(text))

    def __repr__(self) -> str:
        return f"BoundedPattern({self.pattern.pattern[:60]!r})"
