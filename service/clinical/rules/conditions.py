"""Contraindications and cautions from the patient's conditions and allergies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

from service.clinical.dosing.products import Form
from service.clinical.facts import (
    ClinicalStatus,
    ConditionFact,
    StatusAnswer,
    StatusObservation,
)
from service.clinical.findings import Finding, IndicatorName, SuggestionSpec
from service.clinical.order_text import names, order_facts
from service.clinical.rules.base import RuleFunction, RuleInput
from service.clinical.suggestions import lactose_free_switch, move_to

ANY = (ClinicalStatus.ACTIVE, ClinicalStatus.HISTORY)
ACTIVE = (ClinicalStatus.ACTIVE,)


def _condition_finding(
    inp: RuleInput, code: str, indicator: IndicatorName, found: list[ConditionFact]
) -> Finding:
    lines = tuple(
        (
            inp.knowledge.words("fact_recorded_condition"),
            f"{c.evidence} ({c.status.value}"
            + (f", {c.recorded.isoformat()})" if c.recorded else ")"),
        )
        for c in found
    )
    return Finding(
        code,
        indicator,
        inp.order,
        values={"condition": _short(names(c.label for c in found))},
        facts=(*lines, order_facts(inp.order, inp.knowledge)),
    )


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _condition_rule(
    code: str, value_set: str, statuses: tuple[ClinicalStatus, ...], indicator: IndicatorName
) -> RuleFunction:
    """A rule that fires when a condition of ``value_set`` is recorded with one of
    ``statuses``."""

    def check(inp: RuleInput) -> Iterator[Finding]:
        found = inp.patient.conditions_in(value_set, statuses)
        if found:
            yield _condition_finding(inp, code, indicator, found)

    check.__name__ = code.replace("-", "_")
    return check


def _active_or_history_rule(value_set: str, active_code: str, history_code: str) -> RuleFunction:
    """A contraindication while a condition of ``value_set`` is active, a caution when it is
    only in the history: one card, the stronger one."""

    def check(inp: RuleInput) -> Iterator[Finding]:
        active = inp.patient.conditions_in(value_set, ACTIVE)
        if active:
            yield _condition_finding(inp, active_code, "critical", active)
            return
        history = inp.patient.conditions_in(value_set, (ClinicalStatus.HISTORY,))
        if history:
            yield _condition_finding(inp, history_code, "warning", history)

    check.__name__ = value_set
    return check


epilepsy = _condition_rule("contraindication-epilepsy", "epilepsy", ANY, "critical")
parkinsons = _condition_rule("contraindication-parkinsons", "parkinsons", ACTIVE, "critical")
cerebrovascular = _condition_rule("caution-cerebrovascular", "cerebrovascular", ANY, "warning")
respiratory = _condition_rule("caution-respiratory", "respiratory", ACTIVE, "warning")
alcohol = _condition_rule("interaction-alcohol", "alcohol_use_disorder", ACTIVE, "warning")
psychosis = _active_or_history_rule(
    "psychosis", "contraindication-psychosis", "caution-psychosis-history"
)
peptic_ulcer = _active_or_history_rule(
    "peptic_ulcer", "contraindication-peptic-ulcer", "caution-peptic-ulcer-history"
)


def hypersensitivity(inp: RuleInput) -> Iterator[Finding]:
    allergies = inp.patient.allergies
    if not allergies:
        return
    yield Finding(
        "contraindication-hypersensitivity",
        "critical",
        inp.order,
        values={"allergy": _short(names(a.label for a in allergies), 40)},
        facts=(
            *(
                (
                    inp.knowledge.words("fact_recorded_allergy"),
                    f"{a.evidence} (verification: {a.verification or 'not stated'})",
                )
                for a in allergies
            ),
            order_facts(inp.order, inp.knowledge),
        ),
    )


def excipient_lactose(inp: RuleInput) -> Iterator[Finding]:
    """When a tablet is ordered for a patient with lactose intolerance; then the lactose-free
    solution at the same dose, where that dose keeps every other limit."""
    if inp.order.product.form is not Form.TABLET:
        return
    found = inp.patient.conditions_in("lactose_intolerance")
    if not found:
        return
    finding = _condition_finding(inp, "excipient-lactose", "warning", found)
    yield replace(finding, suggestions=lactose_free_switch(inp))


def _recorded_status(
    observation: StatusObservation | None, conditions: list[ConditionFact]
) -> tuple[str, str] | None:
    """What shows the status (pregnant, breastfeeding): a short name for the summary and the
    evidence with its code for the detail; or None.

    The latest status observation saying yes is enough. A condition counts unless a "no"
    observation is later than it (or it is undated): problem lists keep stale entries.
    """
    if observation is not None and observation.answer is StatusAnswer.YES:
        return observation.label, observation.label
    for condition in conditions:
        superseded = (
            observation is not None
            and observation.answer is StatusAnswer.NO
            and (
                condition.recorded is None
                or (observation.on is not None and observation.on >= condition.recorded)
            )
        )
        if not superseded:
            return condition.label, condition.evidence
    return None


def _pregnant(inp: RuleInput) -> tuple[str, str] | None:
    """A pregnancy condition, or a "pregnant" status that is the latest status and recent
    enough (a pregnancy recorded 300 days ago has ended)."""
    status = inp.patient.pregnancy
    window = timedelta(days=inp.knowledge.dosing.pregnancy.status_recency_days)
    too_old = status is not None and (status.on is None or status.on < inp.patient.today - window)
    if too_old and status is not None and status.answer is StatusAnswer.YES:
        status = None  # too old to say the patient is pregnant now
    return _recorded_status(status, inp.patient.conditions_in("pregnancy"))


def _breastfeeding(inp: RuleInput) -> tuple[str, str] | None:
    return _recorded_status(inp.patient.lactation, inp.patient.conditions_in("lactation"))


def pregnancy(inp: RuleInput) -> Iterator[Finding]:
    found = _pregnant(inp)
    if found is None:
        return
    established = inp.context.current is not None
    suggestions: tuple[SuggestionSpec, ...] = ()
    if established and inp.is_oral and inp.context.current is not None:
        # Established therapy is tapered, never stopped at once (and never raised).
        schedule = move_to(inp, 0.0, "why_stop")
        suggestions = (schedule,) if schedule else ()
    yield Finding(
        "contraindication-pregnancy",
        "critical",
        inp.order,
        variant="established" if established else "new_start",
        values={"evidence": _short(found[0], 45)},
        facts=(
            (inp.knowledge.words("fact_recorded"), found[1]),
            order_facts(inp.order, inp.knowledge),
        ),
        notes=((inp.knowledge.text("contraindication-pregnancy", "taper"),) if established else ()),
        suggestions=suggestions,
    )


def lactation(inp: RuleInput) -> Iterator[Finding]:
    found = _breastfeeding(inp)
    if found is None:
        return
    yield Finding(
        "contraindication-lactation",
        "critical",
        inp.order,
        values={"evidence": _short(found[0], 45)},
        facts=(
            (inp.knowledge.words("fact_recorded"), found[1]),
            order_facts(inp.order, inp.knowledge),
        ),
    )
