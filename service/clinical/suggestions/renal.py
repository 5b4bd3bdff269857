"""The renal maximum as suggestions: a cut to the cap, and the slow titration for a start or
an increase, which stops at the cap too."""

from __future__ import annotations

from dataclasses import replace

from service.clinical.findings import ScheduleSuggestion, SuggestionSpec
from service.clinical.rule_input import RuleInput
from service.clinical.suggestions.current import judged_daily
from service.clinical.suggestions.moves import move_to, schedule_for_start_or_increase


def within_renal_cap(inp: RuleInput, cap: float) -> tuple[SuggestionSpec, ...]:
    """What keeps the order within the renal maximum ``cap`` (mg/day), best first."""
    suggestions: tuple[SuggestionSpec, ...] = ()
    daily = judged_daily(inp)
    if inp.is_oral and daily is not None and daily > cap:
        capped = move_to(inp, cap, "why_renal_maximum")
        suggestions = (capped,) if capped else ()
    schedule = schedule_for_start_or_increase(inp)
    if schedule is None:
        return suggestions
    # The slow titration stops at the renal maximum too: it is the better of the two.
    # A cap lowered to a child's band may itself be a titration: the slow one replaces it.
    others = (s for s in suggestions if not isinstance(s, ScheduleSuggestion))
    return (schedule, *(replace(s, recommended=False) for s in others))


__all__ = ["within_renal_cap"]
