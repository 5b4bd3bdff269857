"""The rule registry and what every rule receives.

A rule is a small pure function ``(RuleInput) -> Iterable[Finding]`` registered with the rule
codes it may produce. The registry checks at import time that each code exists once; the
evaluation checks that a rule only emits the codes it declared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from service.clinical.dosing.daily_dose import DoseKind, DoseStep
from service.clinical.facts import BaclofenOrder, HookFacts
from service.clinical.findings import Finding
from service.clinical.knowledge import Knowledge
from service.clinical.rule_input import RuleInput
from service.clinical.trigger import Trigger
from service.clinical.wording import frequency_text, number

RuleFunction = Callable[[RuleInput], Iterable[Finding]]


@dataclass(frozen=True)
class AnswerInput:
    """What a rule about the answer as a whole receives: every order of the call at once."""

    facts: HookFacts
    knowledge: Knowledge
    trigger: Trigger

    @property
    def chart_opened(self) -> bool:
        return self.trigger is Trigger.CHART_OPENED

    def input_for(self, index: int) -> RuleInput:
        """The per-order input of the ``index``-th order under evaluation."""
        return RuleInput(self.facts.patient, self.facts.orders[index], self.knowledge, self.trigger)


AnswerRuleFunction = Callable[[AnswerInput], Iterable[Finding]]


@dataclass(frozen=True)
class RegisteredRule:
    function: RuleFunction
    codes: tuple[str, ...]
    # Rules that also run on an order that stops therapy (the discontinuation rules).
    on_stop: bool


@dataclass(frozen=True)
class RegisteredAnswerRule:
    """A rule judged once per answer, over all its orders (several orders active together)."""

    function: AnswerRuleFunction
    codes: tuple[str, ...]


REGISTRY: list[RegisteredRule] = []
ANSWER_REGISTRY: list[RegisteredAnswerRule] = []


def _check_new(codes: tuple[str, ...]) -> None:
    taken = {code for registered in REGISTRY for code in registered.codes}
    taken |= {code for registered in ANSWER_REGISTRY for code in registered.codes}
    duplicated = taken & set(codes)
    if duplicated:
        raise RuntimeError(f"rule codes registered twice: {sorted(duplicated)}")


def rule(*codes: str, on_stop: bool = False) -> Callable[[RuleFunction], RuleFunction]:
    def register(function: RuleFunction) -> RuleFunction:
        _check_new(codes)
        REGISTRY.append(RegisteredRule(function, codes, on_stop))
        return function

    return register


def answer_rule(*codes: str) -> Callable[[AnswerRuleFunction], AnswerRuleFunction]:
    def register(function: AnswerRuleFunction) -> AnswerRuleFunction:
        _check_new(codes)
        ANSWER_REGISTRY.append(RegisteredAnswerRule(function, codes))
        return function

    return register


__all__ = ["RuleInput", "frequency_text", "number"]  # re-exported for the rule modules


def step_text(step: DoseStep, kind: DoseKind, knowledge: Knowledge) -> str:
    """'120 mg/day (40 mg three times daily)'; intrathecal '600 mcg/day by pump'."""
    if step.daily is None:
        return knowledge.words("dose_unknown")
    unit = kind.unit
    if kind is DoseKind.INTRATHECAL:
        return knowledge.words("intrathecal_daily", dose=number(step.daily))
    text = f"{number(step.daily)} {unit}/day"
    if step.per_dose is not None and step.per_day is not None:
        text += f" ({number(step.per_dose)} {unit} {frequency_text(step.per_day)})"
    return text


def order_dose_text(order: BaclofenOrder, knowledge: Knowledge) -> str:
    steps = order.dose.steps
    kind = order.dose.kind
    if len(steps) == 1:
        return step_text(steps[0], kind, knowledge)
    return "; ".join(
        knowledge.words("numbered_step", number=i + 1, text=step_text(s, kind, knowledge))
        for i, s in enumerate(steps)
    )


def order_facts(
    order: BaclofenOrder, knowledge: Knowledge, label: str | None = None
) -> tuple[str, str]:
    """The order as a line of the detail: 'Ordered' for a draft, 'Active order' for one of the
    record (what patient-view evaluates)."""
    if label is None:
        label = knowledge.words("fact_ordered" if order.is_draft else "fact_active_order")
    return (label, f"{order.product.label}, {order_dose_text(order, knowledge)}")


def names(labels: Iterable[str], limit: int = 2) -> str:
    """'tramadol 50 mg tablet and lorazepam' or 'a, b and 3 more'."""
    unique = list(dict.fromkeys(labels))
    shown = unique[:limit]
    rest = len(unique) - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    return " and ".join(shown) if len(shown) <= 2 else ", ".join(shown)
