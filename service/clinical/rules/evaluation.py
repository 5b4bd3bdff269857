"""The one loop that runs the catalogue over the facts, and what it did rule by rule.

For each order: every rule of ``ORDER_RULES`` runs unless the order stops therapy (only the
stop rules run) or the trigger reviews active orders (rules about a change of dose do not);
at most one finding per rule code; then the knowledge's silences apply (a rule's
``when_fired_silences``, and ``silenced_by_critical`` next to a critical card). The answer
rules run last, over all the orders, each seeing the findings before it. The trace of that
loop is what ``evaluate --explain`` prints: there is no second loop to keep in step.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from service.clinical.facts import HookFacts, OrderContext
from service.clinical.findings import Finding
from service.clinical.knowledge import Knowledge, KnowledgeError
from service.clinical.knowledge.schema import RuleData, SilenceMark
from service.clinical.rules.base import AnswerInput, OrderRule, RuleInput
from service.clinical.rules.catalogue import ANSWER_RULES, ORDER_RULES
from service.clinical.suggestions.policy import settle
from service.clinical.trigger import Trigger


class Outcome(StrEnum):
    FIRED = "fired"
    NO_FINDING = "ran, found nothing"
    SKIPPED = "skipped"
    SILENCED = "silenced"


@dataclass(frozen=True)
class RuleOutcome:
    codes: tuple[str, ...]  # what the rule may produce
    outcome: Outcome
    why: str = ""  # why it was skipped or silenced
    findings: tuple[Finding, ...] = ()  # kept (fired), or left out (silenced)


@dataclass(frozen=True)
class OrderTrace:
    context: OrderContext
    rules: tuple[RuleOutcome, ...]

    @property
    def findings(self) -> list[Finding]:
        """The findings of this order that the answer keeps, in catalogue order."""
        return [f for rule in self.rules if rule.outcome is Outcome.FIRED for f in rule.findings]

    @property
    def fired(self) -> list[str]:
        return [finding.rule for finding in self.findings]


@dataclass(frozen=True)
class Evaluation:
    """The findings of one hook call, and how the loop came to them."""

    orders: tuple[OrderTrace, ...]
    answer_findings: tuple[Finding, ...]  # of the answer rules: not about one order
    findings: tuple[Finding, ...]  # all of them, each suggestion on one card (``settle``)

    @property
    def fired(self) -> list[str]:
        codes = [code for order in self.orders for code in order.fired]
        return codes + [finding.rule for finding in self.answer_findings]


def evaluate(facts: HookFacts, knowledge: Knowledge, *, trigger: Trigger) -> list[Finding]:
    """All findings for the orders of one hook call, at most one per rule and order, with each
    suggestion on one card only (``settle``)."""
    return list(evaluation(facts, knowledge, trigger=trigger).findings)


def evaluation(facts: HookFacts, knowledge: Knowledge, *, trigger: Trigger) -> Evaluation:
    """``evaluate``, with the outcome of every rule (for ``evaluate --explain``)."""
    orders = tuple(
        _order_trace(RuleInput(facts.patient, context, knowledge, trigger))
        for context in facts.orders
    )
    found = [finding for order in orders for finding in order.findings]
    answer_findings: list[Finding] = []
    for entry in ANSWER_RULES:
        answer = AnswerInput(facts, knowledge, trigger, (*found, *answer_findings))
        for finding in entry.function(answer):
            _check_declared(finding, entry.codes, knowledge)
            answer_findings.append(finding)
    settled = settle([*found, *answer_findings], knowledge)
    return Evaluation(orders, tuple(answer_findings), tuple(settled))


def _order_trace(inp: RuleInput) -> OrderTrace:
    fired: set[str] = set()
    outcomes = [_run(entry, inp, fired) for entry in ORDER_RULES]
    return OrderTrace(inp.context, tuple(_silence(outcomes, inp.knowledge)))


def _skip_reason(entry: OrderRule, inp: RuleInput) -> str:
    if inp.order.is_stop and not entry.on_stop:
        return "the order stops therapy"
    if inp.trigger.reviews_active_orders and all(
        inp.knowledge.rule(code).dose_change for code in entry.codes
    ):
        return "patient-view checks no dose change"
    return ""


def _run(entry: OrderRule, inp: RuleInput, fired: set[str]) -> RuleOutcome:
    """One rule over one order; ``fired`` (the codes of the order so far) keeps one finding
    per code."""
    skipped = _skip_reason(entry, inp)
    if skipped:
        return RuleOutcome(entry.codes, Outcome.SKIPPED, skipped)
    kept: list[Finding] = []
    for finding in entry.function(inp):
        _check_declared(finding, entry.codes, inp.knowledge)
        if inp.trigger.reviews_active_orders and inp.knowledge.rule(finding.rule).dose_change:
            continue
        if finding.rule not in fired:
            fired.add(finding.rule)
            kept.append(finding)
    return RuleOutcome(entry.codes, Outcome.FIRED if kept else Outcome.NO_FINDING, "", tuple(kept))


def _silence(outcomes: Sequence[RuleOutcome], knowledge: Knowledge) -> Iterator[RuleOutcome]:
    """The outcomes with the findings the knowledge silences on this order marked as such."""
    fired = [f for o in outcomes if o.outcome is Outcome.FIRED for f in o.findings]
    silencers = _silencers(fired, knowledge)
    critical = any(
        f.indicator == "critical" for f in fired if not _silenced_by(f, silencers, knowledge)
    )
    for outcome in outcomes:
        if outcome.outcome is not Outcome.FIRED:
            yield outcome
            continue
        kept, why = [], ""
        for finding in outcome.findings:
            reason = _silenced_by(finding, silencers, knowledge)
            if not reason and critical and knowledge.rule(finding.rule).silenced_by_critical:
                reason = "a critical card on the same order says more"
            if reason:
                why = reason
            else:
                kept.append(finding)
        if kept:
            yield RuleOutcome(outcome.codes, Outcome.FIRED, "", tuple(kept))
        else:
            yield RuleOutcome(outcome.codes, Outcome.SILENCED, why, outcome.findings)


def _silencers(findings: Sequence[Finding], knowledge: Knowledge) -> list[tuple[str, SilenceMark]]:
    """The rules that fired on the order and silence a mark, with the mark."""
    found = []
    for finding in findings:
        mark = knowledge.rule(finding.rule).when_fired_silences
        if mark is not None:
            found.append((finding.rule, mark))
    return found


def _silenced_by(
    finding: Finding, silencers: Sequence[tuple[str, SilenceMark]], knowledge: Knowledge
) -> str:
    """Why a silencing rule leaves ``finding`` out ("" when none does)."""
    data = knowledge.rule(finding.rule)
    for code, mark in silencers:
        if _carries(data, mark):
            return f"{knowledge.text(code, 'silences')} ({code})"
    return ""


def _carries(data: RuleData, mark: SilenceMark) -> bool:
    """Whether a rule's findings carry ``mark`` (what a rule's ``when_fired_silences`` names)."""
    marks: dict[SilenceMark, bool] = {"needs_trusted_dose": data.needs_trusted_dose}
    return marks[mark]


def _check_declared(finding: Finding, codes: tuple[str, ...], knowledge: Knowledge) -> None:
    if finding.rule not in codes:
        raise KnowledgeError(f"{finding.rule!r} was produced by a rule that does not declare it")
    if finding.indicator not in knowledge.rule(finding.rule).possible_indicators:
        # rules.yaml decides the severity a reviewer signed off (and whether the card needs
        # override reasons): code may not raise it on its own.
        raise KnowledgeError(
            f"{finding.rule} produced a {finding.indicator} card; "
            f"rules.yaml allows {knowledge.rule(finding.rule).possible_indicators}"
        )


__all__ = [
    "Evaluation",
    "OrderTrace",
    "Outcome",
    "RuleOutcome",
    "evaluate",
    "evaluation",
]
