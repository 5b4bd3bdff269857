"""Several baclofen orders active together: one card for the group, judged on the combined
dose of each route, and never a one-click end of therapy that would cut the dose abruptly."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from service.clinical.dosing.daily_dose import DoseKind
from service.clinical.dosing.totals import combined_daily
from service.clinical.facts import BaclofenOrder
from service.clinical.findings import Finding, IndicatorName
from service.clinical.knowledge import Knowledge
from service.clinical.limits import Ceiling, oral_ceiling
from service.clinical.order_text import order_facts
from service.clinical.rules.base import AnswerInput
from service.clinical.suggestions import endings
from service.clinical.wording import number

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


def _route_text(kind: DoseKind, orders: Sequence[BaclofenOrder], knowledge: Knowledge) -> str:
    total = combined_daily(orders, "highest_daily")
    if total is None:
        dose = knowledge.words("dose_unknown")
    elif kind is DoseKind.INTRATHECAL:
        dose = knowledge.words("intrathecal_daily", dose=number(total))
    else:
        dose = f"{number(total)} {kind.unit}/day"
    return f"{kind.value} {dose}"


def duplicate_therapy(ans: AnswerInput) -> Iterator[Finding]:
    """When more than one baclofen order would be active together; then the endings that
    keep the patient's intake (never of a pump, nor of an oral order beside one)."""
    together, drafts = _together(ans)
    if len(together) < 2:
        return
    oral = [o for o in together if o.route is DoseKind.ORAL]
    pumps = [o for o in together if o.route is DoseKind.INTRATHECAL]
    doses = " + ".join(_route_text(kind, group, ans.knowledge) for kind, group in (
        (DoseKind.ORAL, oral), (DoseKind.INTRATHECAL, pumps)) if group)  # fmt: skip
    ceiling = oral_ceiling(ans.facts.patient, ans.knowledge)
    indicator, variant = _severity(oral, pumps, ceiling, ans.chart_opened)
    suggestions = () if pumps else tuple(endings(ans, together, drafts))
    yield Finding(
        CODE,
        indicator,
        together[0],
        variant=variant,
        values={"doses": doses, "limit": number(ceiling.daily_mg), "count": str(len(together))},
        facts=_duplicate_facts(ans.knowledge, together, len(oral) >= 2, doses, ceiling),
        notes=_notes(ans.knowledge, variant, bool(suggestions)),
        suggestions=suggestions,
    )


def _severity(
    oral: list[BaclofenOrder], pumps: list[BaclofenOrder], ceiling: Ceiling, chart_opened: bool
) -> tuple[IndicatorName, str]:
    """Critical above the patient's oral maximum, a warning for two orders of one route,
    information for an oral order beside a pump (bridging)."""
    oral_total = combined_daily(oral, "highest_daily")
    if len(oral) >= 2 and oral_total is not None and oral_total > ceiling.daily_mg:
        return "critical", "above_ceiling"
    if len(oral) >= 2 or len(pumps) >= 2:
        return "warning", "together_now" if chart_opened else "together"
    return "info", "bridging"


def _duplicate_facts(
    knowledge: Knowledge,
    together: list[BaclofenOrder],
    several_oral: bool,
    doses: str,
    ceiling: Ceiling,
) -> tuple[tuple[str, str], ...]:
    facts: list[tuple[str, str]] = []
    for order in together[:_LISTED]:
        label = knowledge.words("fact_new_order") if order.is_draft else None
        facts.append(order_facts(order, knowledge, label))
    if len(together) > _LISTED:
        more = knowledge.words("fact_more_orders", count=len(together) - _LISTED)
        facts.append((knowledge.words("fact_not_listed"), more))
    facts.append((knowledge.words("fact_together"), doses))
    if several_oral:
        highest = knowledge.words(
            "fact_highest_by_mouth", limit=number(ceiling.daily_mg), reason=ceiling.reason
        )
        facts.append((knowledge.words("fact_highest_permitted"), highest))
    return tuple(facts)


def _notes(knowledge: Knowledge, variant: str, with_suggestions: bool) -> tuple[str, ...]:
    notes = [knowledge.text(CODE, "bridging" if variant == "bridging" else "reconcile")]
    if with_suggestions:
        notes.append(knowledge.text(CODE, "prior_prescription"))
    return tuple(notes)
