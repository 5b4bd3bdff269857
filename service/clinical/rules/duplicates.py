"""Several baclofen orders active together: one card for the group, judged on the combined
dose of each route, and never a one-click end of therapy that would cut the dose abruptly."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.facts import BaclofenOrder, OrderContext
from service.clinical.findings import CancelOrder, Finding, IndicatorName, ScheduleSuggestion
from service.clinical.limits import oral_ceiling
from service.clinical.rules.base import AnswerInput, answer_rule, number, order_facts
from service.clinical.suggestions import (
    current_daily,
    established_daily,
    established_order,
    move_to,
)

_EPSILON = 1e-9
ORAL = DoseKind.ORAL
_LISTED = 5  # orders named one by one in the detail; the rest are counted

CODE = "duplicate-therapy"


def _together(ans: AnswerInput) -> tuple[list[BaclofenOrder], list[int]]:
    """The orders that would be active together, and the indexes of the drafts among them
    (order-sign and order-select: the drafts and the active orders none of them replaces)."""
    contexts = ans.facts.orders
    if ans.chart_opened:
        return [c.order for c in contexts], []
    drafts = [i for i, c in enumerate(contexts) if not c.order.is_stop]
    if not drafts:
        return [], []
    staying = [
        order
        for order in ans.facts.patient.active_baclofen
        if all(any(o is order for o in c.remaining) for c in contexts)
    ]
    return [contexts[i].order for i in drafts] + staying, drafts


def _route_total(orders: Sequence[BaclofenOrder]) -> float | None:
    values = [o.dose.highest_daily for o in orders]
    return None if any(v is None for v in values) else float(sum(v or 0 for v in values))


def _route_text(kind: DoseKind, orders: Sequence[BaclofenOrder]) -> str:
    total = _route_total(orders)
    amount = "unknown" if total is None else f"{number(total)} {kind.unit}/day"
    if kind is DoseKind.INTRATHECAL and total is not None:
        amount += " by pump"
    return f"{kind.value} {amount}"


@answer_rule(CODE)
def duplicate_therapy(ans: AnswerInput) -> Iterator[Finding]:
    together, drafts = _together(ans)
    if len(together) < 2:
        return
    knowledge = ans.knowledge
    oral = [o for o in together if o.route is DoseKind.ORAL]
    pumps = [o for o in together if o.route is DoseKind.INTRATHECAL]
    doses = " + ".join(_route_text(kind, group) for kind, group in (
        (DoseKind.ORAL, oral), (DoseKind.INTRATHECAL, pumps)) if group)  # fmt: skip
    ceiling = oral_ceiling(ans.facts.patient, knowledge)
    oral_total = _route_total(oral)
    indicator: IndicatorName
    if len(oral) >= 2 and oral_total is not None and oral_total > ceiling.daily_mg + _EPSILON:
        indicator, variant = "critical", "above_ceiling"
    elif len(oral) >= 2 or len(pumps) >= 2:
        indicator, variant = "warning", "together_now" if ans.chart_opened else "together"
    else:
        indicator, variant = "info", "bridging"

    facts: list[tuple[str, str]] = []
    for order in together[:_LISTED]:
        label = knowledge.words("fact_new_order") if order.is_draft else None
        facts.append(order_facts(order, knowledge, label))
    if len(together) > _LISTED:
        more = knowledge.words("fact_more_orders", count=len(together) - _LISTED)
        facts.append((knowledge.words("fact_not_listed"), more))
    facts.append((knowledge.words("fact_together"), doses))
    if len(oral) >= 2:
        facts.append(
            (
                knowledge.words("fact_highest_permitted"),
                knowledge.words(
                    "fact_highest_by_mouth", limit=number(ceiling.daily_mg), reason=ceiling.reason
                ),
            )
        )

    suggestions: list[CancelOrder | ScheduleSuggestion] = []
    if not pumps:  # never a stop of a pump, nor of an oral order beside one
        suggestions = _endings(ans, together, drafts)
    notes = [knowledge.text(CODE, "bridging" if variant == "bridging" else "reconcile")]
    if suggestions:
        notes.append(knowledge.text(CODE, "prior_prescription"))
    yield Finding(
        CODE,
        indicator,
        together[0],
        variant=variant,
        values={"doses": doses, "limit": number(ceiling.daily_mg), "count": str(len(together))},
        facts=tuple(facts),
        notes=tuple(notes),
        suggestions=tuple(suggestions),
    )


def _daily_now(order: BaclofenOrder, ans: AnswerInput) -> float | None:
    """What the order gives on its first day from now: a draft's first step, an active
    order's step of today."""
    if order.is_draft:
        return order.dose.first_daily
    return current_daily(order, ans.facts.patient.today)


def _endings(
    ans: AnswerInput, together: list[BaclofenOrder], drafts: list[int]
) -> list[CancelOrder | ScheduleSuggestion]:
    """The orders that may be ended in one click: only where the patient's oral intake stays
    within 15 mg/day of what it is today (a replacement within 15 mg/day, or a draft whose
    removal leaves enough); a lower replacement of an older order becomes a taper."""
    today = [_daily_now(o, ans) for o in ans.facts.patient.active_baclofen if o.route is ORAL]
    planned = [_daily_now(o, ans) for o in together if o.route is ORAL]
    if any(v is None for v in (*today, *planned)):
        return []  # an unknown dose: no ending can be shown to be safe
    now = sum(v or 0.0 for v in today)
    total = sum(v or 0.0 for v in planned)
    floor = now - ans.knowledge.dosing.discontinuation.max_cut_daily_mg - _EPSILON
    found: list[CancelOrder | ScheduleSuggestion] = []
    for index in drafts:
        found += _replacement(ans, index, total, floor)
    for order in (ans.facts.orders[i].order for i in drafts[1:]):
        if total - (_daily_now(order, ans) or 0.0) >= floor:
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
    if new >= before - cut - _EPSILON and total - before >= floor:
        label = inp.knowledge.words(
            "stop_older_order", product=older.product.label, daily=older.daily_text
        )
        return [CancelOrder(older, label, replaced_by=draft)]
    taper = move_to(inp, new, "why_new_order_dose")
    if not isinstance(taper, ScheduleSuggestion):
        return []
    if total - before - new + taper.schedule.steps[0].daily < floor:
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
