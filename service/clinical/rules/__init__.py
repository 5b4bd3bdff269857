"""Every rule of the catalogue, and the evaluation that runs them over the facts.

Importing this package registers the rules (one module per family). ``check_catalogue``
verifies at start-up that the code and the knowledge files name exactly the same rule codes.
"""

from __future__ import annotations

from service.clinical.facts import HookFacts
from service.clinical.findings import Finding
from service.clinical.knowledge import Knowledge, KnowledgeError
from service.clinical.rules import (  # noqa: F401  (imported for registration)
    conditions,
    data,
    dose,
    duplicates,
    interactions,
    intrathecal,
    monitoring,
    population,
    renal,
    titration,
)
from service.clinical.rules.base import ANSWER_REGISTRY, REGISTRY, AnswerInput, RuleInput
from service.clinical.rules.data import not_evaluated, unchecked, unidentified_orders
from service.clinical.suggestions.policy import settle
from service.clinical.trigger import Trigger


def registered_codes() -> set[str]:
    codes = {code for registered in REGISTRY for code in registered.codes}
    return codes | {code for registered in ANSWER_REGISTRY for code in registered.codes}


def check_catalogue(knowledge: Knowledge) -> None:
    """Refuse to run when code and knowledge disagree about the rule codes."""
    in_code, in_data = registered_codes(), set(knowledge.rules_file.rules)
    if in_code != in_data:
        raise KnowledgeError(
            "rules.yaml and the rule code disagree: "
            f"only in code {sorted(in_code - in_data)}, only in data {sorted(in_data - in_code)}"
        )


def evaluate(facts: HookFacts, knowledge: Knowledge, *, trigger: Trigger) -> list[Finding]:
    """All findings for the orders of one hook call, at most one per rule and order, with each
    suggestion on one card only (``settle``)."""
    findings: list[Finding] = []
    for context in facts.orders:
        inp = RuleInput(facts.patient, context, knowledge, trigger)
        stopping = context.order.is_stop
        fired: set[str] = set()
        order_findings: list[Finding] = []
        for registered in REGISTRY:
            if stopping and not registered.on_stop:
                continue
            dose_change = [knowledge.rule(code).dose_change for code in registered.codes]
            if trigger.reviews_active_orders and all(dose_change):
                continue
            for finding in registered.function(inp):
                _check_declared(finding, registered.codes, knowledge)
                if trigger.reviews_active_orders and knowledge.rule(finding.rule).dose_change:
                    continue
                if finding.rule not in fired:
                    fired.add(finding.rule)
                    order_findings.append(finding)
        if "dose-unit-suspect" in fired:
            # The computed dose is probably off by a thousand: every finding built on it would
            # be noise next to the one card that matters.
            order_findings = [
                f for f in order_findings if not knowledge.rule(f.rule).needs_trusted_dose
            ]
        if any(f.indicator == "critical" for f in order_findings):
            order_findings = [
                f for f in order_findings if not knowledge.rule(f.rule).silenced_by_critical
            ]
        findings.extend(order_findings)
    if facts.orders:
        answer = AnswerInput(facts, knowledge, trigger)
        for registered_answer in ANSWER_REGISTRY:
            for finding in registered_answer.function(answer):
                _check_declared(finding, registered_answer.codes, knowledge)
                findings.append(finding)
    if facts.unidentified:
        findings.append(unidentified_orders(facts.unidentified, knowledge))
    if facts.not_evaluated:
        findings.append(not_evaluated(facts.not_evaluated, knowledge))
    missing = unchecked(facts, findings, knowledge, trigger=trigger)
    if missing is not None:
        findings.append(missing)
    return settle(findings, knowledge)


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


__all__ = ["check_catalogue", "evaluate", "registered_codes"]
