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
    within one permitted cut of what it is today (a replacement within it, or a draft whose
    removal leaves enough); a lower replacement of an older order becomes a taper.

    The card offers its suggestions together and a prescriber may accept several at once, so
    the cut is counted over all of them: each older order is ended by one suggestion at most,
    and a suggestion is offered only while everything offered so far, accepted together,
    still keeps the intake within the cut."""
    today = [_daily_now(o, ans) for o in ans.facts.patient.active_baclofen if o.route is ORAL]
    planned = [_daily_now(o, ans) for o in together if o.route is ORAL]
    if any(v is None for v in (*today, *planned)):
        return []  # an unknown dose: no ending can be shown to be safe
    now = amount_sum([v or 0.0 for v in today])
    offered = _Offered(
        amount_sum([v or 0.0 for v in planned]),
        amount(now - ans.knowledge.dosing.discontinuation.max_cut_daily_mg),
    )
    for index in drafts:
        _replacement(ans, index, offered)
    for order in (ans.facts.orders[i].order for i in drafts[1:]):
        label = ans.knowledge.words(
            "remove_new_order", product=order.product.label, daily=order.daily_text
        )
        offered.offer(CancelOrder(order, label), _daily_now(order, ans) or 0.0)
    return offered.found


class _Offered:
    """The endings offered so far, and what the intake would be if all were accepted."""

    def __init__(self, total: float, floor: float) -> None:
        self.total = total  # the oral intake with every order as planned
        self.floor = floor  # the lowest intake one permitted cut allows
        self.found: list[CancelOrder | ScheduleSuggestion] = []
        self.ended: list[BaclofenOrder] = []

    def ends(self, older: BaclofenOrder) -> bool:
        return any(o is older for o in self.ended)

    def offer(
        self,
        suggestion: CancelOrder | ScheduleSuggestion,
        removed: float,
        older: BaclofenOrder | None = None,
    ) -> None:
        if older is not None and self.ends(older):
            return
        if amount(self.total - removed) < self.floor:
            return
        self.total = amount(self.total - removed)
        self.found.append(suggestion)
        if older is not None:
            self.ended.append(older)


def _replacement(ans: AnswerInput, index: int, offered: _Offered) -> None:
    """End the active order a new draft looks like it replaces: at once when the intake
    stays within one permitted cut, else as a taper from the older dose down to the
    draft's."""
    inp = ans.input_for(index)
    context: OrderContext = inp.context
    draft = context.order
    older = established_order(inp)
    before = established_daily(inp)
    new = draft.dose.first_daily
    if older is None or before is None or new is None or draft.route is not ORAL:
        return
    if not any(o is older for o in context.remaining) or offered.ends(older):
        return
    cut = ans.knowledge.dosing.discontinuation.max_cut_daily_mg
    if amount(new) >= amount(before - cut):
        label = inp.knowledge.words(
            "stop_older_order", product=older.product.label, daily=older.daily_text
        )
        offered.offer(CancelOrder(older, label, replaced_by=draft), before, older)
        return
    taper = move_to(inp, new, "why_new_order_dose")
    if not isinstance(taper, ScheduleSuggestion):
        return
    label = inp.knowledge.words(
        "taper_in_place_of_older", label=taper.label, daily=older.daily_text
    )
    suggestion = ScheduleSuggestion(
        taper.order, taper.schedule, label, prior=older, withdraw=(older,)
    )
    # The taper takes the draft's place and the older order's: what leaves the intake is
    # both of them, less the taper's first step.
    offered.offer(suggestion, before + new - taper.schedule.steps[0].daily, older)


__all__ = ["endings"]
