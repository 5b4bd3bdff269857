"""Ending one of several baclofen orders active together, in one click, only where the
patient's oral intake stays within one permitted cut of what it is today; a lower
replacement of an older order becomes a taper instead."""

from __future__ import annotations

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.facts import BaclofenOrder, OrderContext
from service.clinical.findings import CancelOrder, ScheduleSuggestion
from service.clinical.quantity import amount, amount_sum
from service.clinical.rule_input import AnswerInput
from service.clinical.suggestions.current import (
    current_daily,
    established_daily,
    established_order,
)
from service.clinical.suggestions.moves import move_to

ORAL = DoseKind.ORAL


def _daily_now(order: BaclofenOrder, ans: AnswerInput) -> float | None:
    """What the order gives on its first day from now: a draft's first step, an active
    order's step of today."""
    if order.is_draft:
        return order.dose.first_daily
    return current_daily(order, ans.facts.patient.today)


def endings(
    ans: AnswerInput, together: list[BaclofenOrder], drafts: list[int]
) -> list[CancelOrder | ScheduleSuggestion]:
    """The orders that may be ended in one click: only where the patient's oral intake stays
    within 15 mg/day of what it is today (a replacement within 15 mg/day, or a draft whose
    removal leaves enough); a lower replacement of an older order becomes a taper."""
    today = [_daily_now(o, ans) for o in ans.facts.patient.active_baclofen if o.route is ORAL]
    planned = [_daily_now(o, ans) for o in together if o.route is ORAL]
    if any(v is None for v in (*today, *planned)):
        return []  # an unknown dose: no ending can be shown to be safe
    now = amount_sum([v or 0.0 for v in today])
    total = amount_sum([v or 0.0 for v in planned])
    floor = amount(now - ans.knowledge.dosing.discontinuation.max_cut_daily_mg)
    found: list[CancelOrder | ScheduleSuggestion] = []
    for index in drafts:
        found += _replacement(ans, index, total, floor)
    for order in (ans.facts.orders[i].order for i in drafts[1:]):
        if amount(total - (_daily_now(order, ans) or 0.0)) >= floor:
            found.append(
                CancelOrder(
                    order,
                    ans.knowledge.words(
                        "remove_new_order", product=order.product.label, daily=order.daily_text
                    ),
                )
            )
    return found


def _replacement(
    ans: AnswerInput, index: int, total: float, floor: float
) -> list[CancelOrder | ScheduleSuggestion]:
    """End the active order a new draft looks like it replaces: at once when the intake
    stays within 15 mg/day, else as a taper from the older dose down to the draft's."""
    inp = ans.input_for(index)
    context: OrderContext = inp.context
    draft = context.order
    older = established_order(inp)
    before = established_daily(inp)
    new = draft.dose.first_daily
    if older is None or before is None or new is None or draft.route is not ORAL:
        return []
    if not any(o is older for o in context.remaining):
        return []
    cut = ans.knowledge.dosing.discontinuation.max_cut_daily_mg
    if amount(new) >= amount(before - cut) and amount(total - before) >= floor:
        label = inp.knowledge.words(
            "stop_older_order", product=older.product.label, daily=older.daily_text
        )
        return [CancelOrder(older, label, replaced_by=draft)]
    taper = move_to(inp, new, "why_new_order_dose")
    if not isinstance(taper, ScheduleSuggestion):
        return []
    if amount(total - before - new + taper.schedule.steps[0].daily) < floor:
        return []
    return [
        ScheduleSuggestion(
            taper.order,
            taper.schedule,
            inp.knowledge.words(
                "taper_in_place_of_older", label=taper.label, daily=older.daily_text
            ),
            prior=older,
            withdraw=(older,),
        )
    ]


__all__ = ["endings"]
