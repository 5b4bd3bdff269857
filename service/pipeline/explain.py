"""Why an answer is what it is: what the service read, and which rules ran, were skipped or were
silenced, order by order (``baclofen-cds evaluate --explain``).

An empty answer can mean that no baclofen order was recognised, that the patient was not
readable, or that every rule ran and found nothing; only this tells them apart. It reads the
clinical core from the outside: the facts ``build_facts`` makes from the same inputs, and the
rule registry, run again with the same conditions as ``service.clinical.rules.evaluate``
(a test holds the two in step: what this says fired is what the answer holds).

The text is for the person running the command on their own request. It shows clinical values
from that request and is never logged or sent anywhere.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from service.clinical.case import ClinicalCase
from service.clinical.facts import (
    BaclofenOrder,
    HookFacts,
    Measurement,
    OrderContext,
    PatientFacts,
    build_facts,
)
from service.clinical.facts.bundles import resources
from service.clinical.findings import Finding
from service.clinical.knowledge import Knowledge
from service.clinical.records import RecordKind
from service.clinical.rules.base import (
    ANSWER_REGISTRY,
    REGISTRY,
    AnswerInput,
    RuleInput,
    order_dose_text,
)
from service.clinical.rules.data import not_evaluated, unchecked, unidentified_orders
from service.clinical.trigger import Trigger
from service.pipeline.evaluator import EvaluationResult

WIDTH = 100
FIRED = "fired"
NO_FINDING = "ran, found nothing"
SKIPPED = "skipped"
SILENCED = "silenced"


@dataclass(frozen=True)
class RuleOutcome:
    codes: tuple[str, ...]  # what the rule may produce
    outcome: str  # FIRED, NO_FINDING, SKIPPED, SILENCED
    why: str = ""
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class OrderTrace:
    context: OrderContext
    rules: tuple[RuleOutcome, ...]

    @property
    def fired(self) -> list[str]:
        return [f.rule for rule in self.rules if rule.outcome == FIRED for f in rule.findings]


@dataclass(frozen=True)
class Trace:
    facts: HookFacts
    orders: tuple[OrderTrace, ...]
    call_findings: tuple[Finding, ...] = field(default=())  # not about one order

    @property
    def fired(self) -> list[str]:
        codes = [code for order in self.orders for code in order.fired]
        return codes + [finding.rule for finding in self.call_findings]


def trace(case: ClinicalCase, knowledge: Knowledge) -> Trace:
    """The rules run over the facts as the evaluation runs them, with each one's outcome."""
    facts = build_facts(case, knowledge)
    trigger = case.trigger
    orders = []
    every_finding: list[Finding] = []
    for context in facts.orders:
        order_trace = _trace_order(facts.patient, context, knowledge, trigger)
        orders.append(order_trace)
        every_finding.extend(f for r in order_trace.rules if r.outcome == FIRED for f in r.findings)
    call_findings: list[Finding] = []
    if facts.orders:
        answer = AnswerInput(facts, knowledge, trigger)
        for registered_answer in ANSWER_REGISTRY:
            call_findings.extend(registered_answer.function(answer))
    if facts.unidentified:
        call_findings.append(unidentified_orders(facts.unidentified, knowledge))
    if facts.not_evaluated:
        call_findings.append(not_evaluated(facts.not_evaluated, knowledge))
    missing = unchecked(facts, every_finding + call_findings, knowledge, trigger=trigger)
    if missing is not None:
        call_findings.append(missing)
    return Trace(facts, tuple(orders), tuple(call_findings))


def _trace_order(
    patient: PatientFacts, context: OrderContext, knowledge: Knowledge, trigger: Trigger
) -> OrderTrace:
    inp = RuleInput(patient, context, knowledge, trigger)
    stopping = context.order.is_stop
    outcomes: list[RuleOutcome] = []
    fired: set[str] = set()
    for registered in REGISTRY:
        codes = registered.codes
        if stopping and not registered.on_stop:
            outcomes.append(RuleOutcome(codes, SKIPPED, "the order stops therapy"))
            continue
        if trigger.reviews_active_orders and all(
            knowledge.rule(code).dose_change for code in codes
        ):
            outcomes.append(RuleOutcome(codes, SKIPPED, "patient-view checks no dose change"))
            continue
        kept = []
        for finding in registered.function(inp):
            if trigger.reviews_active_orders and knowledge.rule(finding.rule).dose_change:
                continue
            if finding.rule not in fired:
                fired.add(finding.rule)
                kept.append(finding)
        outcomes.append(RuleOutcome(codes, FIRED if kept else NO_FINDING, "", tuple(kept)))
    return OrderTrace(context, tuple(_silence(outcomes, fired, knowledge)))


def _silence(
    outcomes: list[RuleOutcome], fired: set[str], knowledge: Knowledge
) -> Iterable[RuleOutcome]:
    """Findings the evaluation drops next to a stronger one, marked as such."""
    unit_suspect = "dose-unit-suspect" in fired
    critical = any(
        f.indicator == "critical"
        for o in outcomes
        for f in o.findings
        if not (unit_suspect and knowledge.rule(f.rule).needs_trusted_dose)
    )
    for outcome in outcomes:
        if outcome.outcome != FIRED:
            yield outcome
            continue
        kept, why = [], ""
        for finding in outcome.findings:
            data = knowledge.rule(finding.rule)
            if unit_suspect and data.needs_trusted_dose:
                why = "the dose is probably in the wrong unit (dose-unit-suspect)"
            elif critical and data.silenced_by_critical:
                why = "a critical card on the same order says more"
            else:
                kept.append(finding)
        if kept:
            yield RuleOutcome(outcome.codes, FIRED, "", tuple(kept))
        else:
            yield RuleOutcome(outcome.codes, SILENCED, why, outcome.findings)


# --- the text


def explain(result: EvaluationResult, knowledge: Knowledge) -> str:
    case = result.case
    if case is None:  # pragma: no cover - every evaluation keeps its case
        return "Nothing to explain: the evaluation kept no case."
    found = trace(case, knowledge)
    lines = [
        f"Evaluated by {result.service.id} ({result.service.hook}) as of {case.today.isoformat()}",
        "",
        "Prefetch",
        *_rows(_prefetch_rows(result)),
        "",
    ]
    if not found.facts.orders:
        lines += _nothing_evaluated(case, found.facts)
    else:
        lines += [
            "What the service read",
            *_rows(_patient_rows(found.facts.patient, knowledge)),
            "",
        ]
        for number, order in enumerate(found.orders, 1):
            lines += _order_lines(number, order, knowledge)
    if found.call_findings:
        lines.append("For the call as a whole")
        lines += [
            f"  fired: {finding.rule} ({finding.indicator})" for finding in found.call_findings
        ]
        lines.append("")
    cards = result.rule_codes
    lines.append(
        f"Answer: {len(result.response.cards)} card(s)" + (f": {', '.join(cards)}" if cards else "")
    )
    return "\n".join(lines)


def _wrapped(head: str, text: str) -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=head,
        subsequent_indent=" " * 6,
        break_on_hyphens=False,
        break_long_words=False,
    )


def _rows(rows: Sequence[tuple[str, str]]) -> list[str]:
    width = max((len(label) for label, _ in rows), default=0)
    return [f"  {label:<{width}}  {value}" for label, value in rows]


def _names(keys: Iterable[str]) -> str:
    return ", ".join(keys) or "none"


def _prefetch_rows(result: EvaluationResult) -> list[tuple[str, str]]:
    unavailable = result.unavailable
    return [
        ("sent by the client", _names(result.sent)),
        ("fetched from fhirServer", _names(result.fetched)),
        (
            "could not be obtained",
            "; ".join(f"{key}: {why}" for key, why in sorted(unavailable.items())) or "none",
        ),
    ]


def _measurement(value: Measurement | None) -> str:
    if value is None:
        return ""
    return f"{value.text}, from an Observation coded {value.code}"


def _patient_rows(patient: PatientFacts, knowledge: Knowledge) -> list[tuple[str, str]]:
    age = (
        f"{patient.age.text} (born {patient.age.birth_date.isoformat()})"
        if patient.age
        else "unknown: no usable birthDate"
    )
    if patient.weight:
        weight = _measurement(patient.weight)
    elif patient.stale_weight:
        weight = f"none recent enough (the latest: {_measurement(patient.stale_weight)})"
    else:
        weight = "none recorded"
    renal = _measurement(patient.renal) if patient.renal else "no CrCl or eGFR recent enough"
    if RecordKind.OBSERVATIONS in patient.unavailable:
        renal += "; the observations could not be obtained"
    rows = [
        ("age", age),
        ("sex", patient.sex or "unknown"),
        ("weight", weight),
        ("renal function", renal),
        (
            "conditions",
            _names(f"{c.label} ({c.status.value})" for c in patient.conditions),
        ),
        ("allergies", _names(a.label for a in patient.allergies)),
        ("other medicines", _names(m.label for m in patient.other_medications)),
        ("active baclofen", _names(_order_text(o, knowledge) for o in patient.active_baclofen)),
    ]
    for label, status in (("pregnancy", patient.pregnancy), ("breastfeeding", patient.lactation)):
        if status is not None:
            on = f" ({status.on.isoformat()})" if status.on else ""
            rows.append((label, f"{status.answer.value}: {status.label}{on}"))
    return rows


def _order_text(order: BaclofenOrder, knowledge: Knowledge) -> str:
    where = f" [{order.reference}]" if order.reference else ""
    return f"{order.product.label}, {order_dose_text(order, knowledge)}{where}"


def _change(context: OrderContext, knowledge: Knowledge) -> str:
    order = context.order
    if not order.is_draft:
        return "none: an active order, checked as it stands (patient-view)"
    if order.is_stop:
        stopped = context.current or order
        return f"a stop (status {order.status}) of {stopped.daily_text}"
    if context.current is None:
        if context.remaining:
            return "a new order beside active baclofen: " + _names(
                _order_text(o, knowledge) for o in context.remaining
            )
        return "a new start: no active baclofen order"
    before, after = context.current.dose.highest_daily, order.dose.highest_daily
    if before is None or after is None:
        direction = "a change"
    elif after > before:
        direction = "an increase"
    elif after < before:
        direction = "a decrease"
    else:
        direction = "the same daily dose"
    return f"{direction} from {_order_text(context.current, knowledge)}"


def _order_lines(number: int, order: OrderTrace, knowledge: Knowledge) -> list[str]:
    draft = order.context.order
    kind = "draft" if draft.is_draft else "active order"
    lines = [
        f"Order {number}: {draft.reference or 'a MedicationRequest without id'} ({kind})",
        *_rows(
            [
                ("product", draft.product.label),
                ("route", draft.dose.route_label or draft.dose.route.value),
                ("daily dose", order_dose_text(draft, knowledge)),
                ("change", _change(order.context, knowledge)),
            ]
        ),
    ]
    if draft.dose.problem:
        lines.append(f"  dose problem  {draft.dose.problem}")
    lines.append("  rules")
    fired = [
        f"{f.rule} ({f.indicator})" for o in order.rules if o.outcome == FIRED for f in o.findings
    ]
    groups: dict[str, list[str]] = {"fired": fired}
    for outcome in order.rules:
        if outcome.outcome == NO_FINDING:
            groups.setdefault(NO_FINDING, []).extend(outcome.codes)
        elif outcome.outcome in (SKIPPED, SILENCED):
            groups.setdefault(f"{outcome.outcome} ({outcome.why})", []).extend(outcome.codes)
    for heading, codes in groups.items():
        lines += _wrapped(f"    {heading}: ", ", ".join(codes) or "none")
    lines.append("")
    return lines


def _nothing_evaluated(case: ClinicalCase, facts: HookFacts) -> list[str]:
    if case.trigger.reviews_active_orders:
        return [
            "No active baclofen order in the patient's medication list: no rule ran.",
            "",
        ]
    drafts = [
        _medication_text(request)
        for request in resources(case.draft_orders)
        if request.get("resourceType") in ("MedicationRequest", "MedicationOrder")
    ]
    if case.selections is not None:
        scope = f"the selected order(s) ({', '.join(case.selections)})"
    else:
        scope = "the draft orders"
    lines = [
        f"No baclofen order was recognised among {scope}, so no rule ran and the patient's "
        "record was not read.",
        f"  draft medications: {_names(drafts)}",
    ]
    if facts.unidentified:
        lines.append(f"  not identifiable (no code, no text): {', '.join(facts.unidentified)}")
    lines.append("")
    return lines


def _medication_text(request: Mapping[str, Any]) -> str:
    concept = request.get("medicationCodeableConcept")
    if isinstance(concept, Mapping):
        if isinstance(concept.get("text"), str):
            return str(concept["text"])
        for coding in concept.get("coding") or []:
            if isinstance(coding, Mapping) and isinstance(coding.get("display"), str):
                return str(coding["display"])
    reference = request.get("medicationReference")
    if isinstance(reference, Mapping):
        return str(reference.get("display") or reference.get("reference") or "a Medication")
    return "unnamed"
