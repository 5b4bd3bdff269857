"""Texts from the record cannot make a pattern slow: every pattern is linear, every text bounded.

An attacker (or a broken interface) controls every text in a request. A medication text of
"baclofen tablet" followed by 15,000 digits took about 30 s in the strength pattern (a digit
run read from each of its 15,000 starting points): the event loop, and every other call and
health probe, waited as long.
"""

from __future__ import annotations

import time

import pytest

from service.clinical.dosing import frequency, products
from service.clinical.knowledge import Knowledge
from service.clinical.text import MAX_TEXT_CHARS, BoundedPattern, bounded

# Far above any pattern's linear cost on these texts (milliseconds), far below what a
# quadratic pattern takes on them (tens of seconds): generous on a loaded machine.
WITHIN_S = 1.0
LONG = 100_000

PATHOLOGICAL = {
    "digits after a product name": "baclofen tablet " + "1" * LONG,
    "digits, then a unit": "1" * LONG + " mg",
    "spaces after 'mg /'": "10 mg /" + " " * LONG + "x",
    "spaces after a frequency word": "once" + " " * LONG + "x",
    "digits after 'every'": "every " + "1" * LONG,
    "decimal points": "1." * (LONG // 2),
    "number, unit, number": "1 mg " * (LONG // 5),
    "slashes": "10 mg/" * (LONG // 6),
    "letters": "A" * LONG,
}


def _time(function: object, *args: object) -> float:
    started = time.perf_counter()
    function(*args)  # type: ignore[operator]
    return time.perf_counter() - started


MODULE_PATTERNS = {
    "strength": products._STRENGTH,
    "concentration": products._CONCENTRATION,
    "abbreviation": frequency._ABBREVIATION,
    **{f"frequency {i}": pattern for i, (pattern, _) in enumerate(frequency._TEXT_PER_DAY)},
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
@pytest.mark.parametrize("pattern", MODULE_PATTERNS.values(), ids=MODULE_PATTERNS.keys())
def test_each_pattern_is_linear_even_on_unbounded_text(pattern: BoundedPattern, text: str) -> None:
    """The raw pattern, without the bound: linear by construction, not only thanks to it."""
    assert _time(pattern.pattern.search, text) < WITHIN_S
    assert _time(lambda: list(pattern.pattern.finditer(text))) < WITHIN_S


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_product_and_frequency_reading_is_fast_on_pathological_text(text: str) -> None:
    assert _time(products._strengths_from_text, [text, text]) < WITHIN_S
    assert _time(frequency.per_day_from_text, text) < WITHIN_S


def test_strengths_and_frequencies_still_read_as_before() -> None:
    read = products._strengths_from_text
    assert read(["baclofen 10 MG Oral Tablet"]) == (10.0, None)
    assert read(["baclofen 10mg tablet"]) == (10.0, None)
    assert read(["Gablofen 2000 mcg/mL"]) == (None, 2.0)
    assert read(["baclofen 5 mg / 5 ml oral solution"]) == (None, 1.0)
    assert read(["Lioresal 0.05 mg/1 mL intrathecal"]) == (None, 0.05)
    assert read(["baclofen 2.5 mg"]) == (2.5, None)
    assert read(["v2 10 mg"]) == (10.0, None)
    # A number is read where it starts, never from the middle of a longer one.
    assert read(["1" * 20 + " mg"]) == (None, None)
    per_day = frequency.per_day_from_text
    assert per_day("10 mg three times daily") == 3
    assert per_day("twice a day") == 2
    assert per_day("once per day") == 1
    assert per_day("every 8 hours") == 3
    assert per_day("q6h") == 4
    assert per_day("TID") == 3


def test_text_beyond_the_bound_is_not_read() -> None:
    assert bounded("x" * (MAX_TEXT_CHARS + 50)) == "x" * MAX_TEXT_CHARS
    padding = " " * MAX_TEXT_CHARS
    assert products._strengths_from_text(["baclofen" + padding + "10 mg"]) == (None, None)
    assert frequency.per_day_from_text(padding + "three times daily") is None


def test_every_pattern_of_the_knowledge_base_is_bounded(knowledge: Knowledge) -> None:
    """The knowledge base compiles its words into patterns: each must be a BoundedPattern."""
    found: list[object] = [knowledge.baclofen_names, knowledge.negations]
    found += [pattern for _, pattern in knowledge.product_form_words]
    found += [pattern for _, pattern in knowledge.route_words]
    found += [knowledge.condition_words.pattern, knowledge.drug_class_words.pattern]
    found += [value_set.exclude_words for value_set in knowledge.value_sets.values()]
    patterns = [pattern for pattern in found if pattern is not None]
    assert len(patterns) > 10
    assert all(isinstance(pattern, BoundedPattern) for pattern in patterns)


def test_timing_beyond_once_a_minute_says_nothing() -> None:
    """Was: a period of 1e-300 s made 8.6e304 administrations a day, and the suggestions built
    from that daily dose carried an integer of 300 digits (a 500 when encoded)."""
    every = {"repeat": {"frequency": 1, "period": 1e-300, "periodUnit": "s"}}
    assert frequency.administrations_per_day(every) is None
    minute = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "min"}}
    assert frequency.administrations_per_day(minute) == frequency.MAX_ADMINISTRATIONS_PER_DAY
