"""How an order reads in a card's detail: its dose, its line of facts, and lists of names."""

from __future__ import annotations

from collections.abc import Iterable

from service.clinical.dosing.daily_dose import DoseKind, DoseStep
from service.clinical.facts import BaclofenOrder
from service.clinical.knowledge import Knowledge
from service.clinical.wording import frequency_text, number


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


__all__ = ["names", "order_dose_text", "order_facts", "step_text"]
