"""What a rule is and what it receives.

A rule is a small pure function, ``(RuleInput) -> Iterable[Finding]`` for one order or
``(AnswerInput) -> Iterable[Finding]`` for the answer as a whole, listed in ``catalogue`` with
the rule codes it may produce. The evaluation checks that a rule only emits the codes it
declared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from service.clinical.findings import Finding
from service.clinical.rule_input import AnswerInput, RuleInput

RuleFunction = Callable[[RuleInput], Iterable[Finding]]
AnswerRuleFunction = Callable[[AnswerInput], Iterable[Finding]]


@dataclass(frozen=True)
class OrderRule:
    """A rule judged once per order under evaluation."""

    function: RuleFunction
    codes: tuple[str, ...]
    # Rules that also run on an order that stops therapy (the discontinuation rules).
    on_stop: bool = False


@dataclass(frozen=True)
class AnswerRule:
    """A rule judged once per answer, over all its orders (several orders active together,
    the data the answer could not check)."""

    function: AnswerRuleFunction
    codes: tuple[str, ...]


__all__ = [
    "AnswerInput",
    "AnswerRule",
    "AnswerRuleFunction",
    "OrderRule",
    "RuleFunction",
    "RuleInput",
]
