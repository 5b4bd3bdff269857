"""The rule registry and what every rule receives.

A rule is a small pure function ``(RuleInput) -> Iterable[Finding]`` registered with the rule
codes it may produce. The registry checks at import time that each code exists once; the
evaluation checks that a rule only emits the codes it declared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from service.clinical.dosing.daily_dose import DoseKind, DoseStep
from service.clinical.facts import BaclofenOrder, OrderContext, PatientFacts
from service.clinical.findings import Finding
from service.clinical.knowledge import Knowledge
from service.clinical.wording import frequency_text, number


@dataclass(frozen=True)
class RuleInput:
    patient: PatientFacts
    context: OrderContext
    knowledge: Knowledge
    patient_view: bool

    @property
    def order(self) -> BaclofenOrder:
        return self.context.order

    @property
    def is_oral(self) -> bool:
        return self.order.dose.kind is DoseKind.ORAL

    @property
    def is_intrathecal(self) -> bool:
        return self.order.dose.kind is DoseKind.INTRATHECAL


RuleFunction = Callable[[RuleInput], Iterable[Finding]]


@dataclass(frozen=True)
class RegisteredRule:
    function: RuleFunction
    codes: tuple[str, ...]
    # Rules that also run on an order that stops therapy (the discontinuation rules).
    on_stop: bool


REGISTRY: list[RegisteredRule] = []


def rule(*codes: str, on_stop: bool = False) -> Callable[[RuleFunction], RuleFunction]:
    def register(function: RuleFunction) -> RuleFunction:
        taken = {code for registered in REGISTRY for code in registered.codes}
        duplicated = taken & set(codes)
        if duplicated:
            raise RuntimeError(f"rule codes registered twice: {sorted(duplicated)}")
        REGISTRY.append(RegisteredRule(function, codes, on_stop))
        return function

    return register


__all__ = ["frequency_text", "number"]  # re-exported for the rule modules


def current_daily(order: BaclofenOrder, today: date) -> float | None:
    """The daily dose an active order gives today (the step covering today for a schedule)."""
    steps = order.dose.steps
    if not order.dose.computable:
        return None
    if len(steps) == 1:
        return steps[0].daily
    start = steps[0].start or order.authored_on
    if start is None:
        return steps[-1].daily
    elapsed = (today - start).days
    for step in steps:
        if step.duration_days is None or elapsed < step.duration_days:
            return step.daily
        elapsed -= int(step.duration_days)
    return steps[-1].daily


def is_stop(order: BaclofenOrder) -> bool:
    return order.status in ("stopped", "cancelled")


def step_text(step: DoseStep, unit: str) -> str:
    """'120 mg/day (40 mg three times daily)'."""
    if step.daily is None:
        return "unknown"
    text = f"{number(step.daily)} {unit}/day"
    if step.per_dose is not None and step.per_day is not None:
        text += f" ({number(step.per_dose)} {unit} {frequency_text(step.per_day)})"
    return text


def order_dose_text(order: BaclofenOrder) -> str:
    unit = order.dose.kind.unit
    steps = order.dose.steps
    if len(steps) == 1:
        return step_text(steps[0], unit)
    return "; ".join(f"step {i + 1}: {step_text(s, unit)}" for i, s in enumerate(steps))


def order_facts(order: BaclofenOrder, label: str = "Ordered") -> tuple[str, str]:
    return (label, f"{order.product.label}, {order_dose_text(order)}")


def names(labels: Iterable[str], limit: int = 2) -> str:
    """'tramadol 50 mg tablet and lorazepam' or 'a, b and 3 more'."""
    unique = list(dict.fromkeys(labels))
    shown = unique[:limit]
    rest = len(unique) - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    return " and ".join(shown) if len(shown) <= 2 else ", ".join(shown)
