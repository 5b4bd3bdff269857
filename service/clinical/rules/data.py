"""Fail loud: say which checks could not run and why, instead of staying silent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from service.clinical.facts import BaclofenOrder, HookFacts
from service.clinical.facts.build import MAX_ORDERS_PER_CALL
from service.clinical.findings import Finding
from service.clinical.knowledge import Knowledge
from service.clinical.records import RecordKind
from service.clinical.rules.base import RuleInput, rule
from service.clinical.trigger import Trigger

CODE = "data-missing"
# What each record feeds, for a prescriber reading the card (rules.yaml texts).
_FEEDS = {
    RecordKind.MEDICATIONS: "feeds_medications",
    RecordKind.CONDITIONS: "feeds_conditions",
    RecordKind.OBSERVATIONS: "feeds_observations",
    RecordKind.ALLERGIES: "feeds_allergies",
}


# The rules that need to know whether an order starts or changes therapy: with the
# medication list unavailable they do not run (never assume a new start).
NEEDS_HISTORY = (
    "start-dose-high",
    "titration-plan",
    "titration-too-fast",
    "abrupt-discontinuation",
    "intrathecal-discontinuation",
)


@rule(CODE)
def data_missing(inp: RuleInput) -> Iterator[Finding]:
    text = inp.knowledge.text
    missing: list[tuple[str, str]] = []
    if inp.patient.age is None:
        missing.append((text(CODE, "birth_date"), text(CODE, "age_checks")))
    if inp.order.dose.dose_absent:
        missing.append((text(CODE, "dose"), text(CODE, "dose_checks")))
    missing += _unavailable(inp.patient.unavailable, inp.knowledge)
    if missing:
        yield _finding(missing, inp.order, inp.knowledge)


def _unavailable(
    unavailable: Mapping[RecordKind, str], knowledge: Knowledge
) -> list[tuple[str, str]]:
    missing = []
    for key, reason in sorted(unavailable.items()):
        what = knowledge.text(CODE, _FEEDS[key]) if key in _FEEDS else key
        detail = knowledge.text(CODE, "could_not_obtain", what=what, reason=reason)
        missing.append((what.split(" (")[0], detail))
        if key is RecordKind.MEDICATIONS:
            codes = ", ".join(NEEDS_HISTORY)
            missing.append(("", knowledge.text(CODE, "history_unknown", codes=codes)))
    return missing


def _finding(
    missing: list[tuple[str, str]], order: BaclofenOrder | None, knowledge: Knowledge
) -> Finding:
    short = ", ".join(m[0] for m in missing if m[0])
    if len(short) > 90:
        short = knowledge.text(CODE, "pieces_missing", count=len(missing))
    else:
        short = knowledge.text(CODE, "missing", what=short)
    return Finding(
        CODE,
        "warning",
        order,
        values={"what": short},
        facts=tuple(
            (knowledge.words("fact_missing" if what else "fact_not_checked"), detail)
            for what, detail in missing
        ),
    )


def unchecked(
    facts: HookFacts, findings: Sequence[Finding], knowledge: Knowledge, *, trigger: Trigger
) -> Finding | None:
    """Data that could not be obtained, when no order's card says so already.

    The per-order rule does not run on a stopped order (only the stop rules do), and a
    patient-view whose medication list could not be read finds no order at all: both were
    answered with no card, silence where the checks had not run.
    """
    unavailable = facts.patient.unavailable
    if not unavailable or any(finding.rule == CODE for finding in findings):
        return None
    if facts.orders or (trigger.reviews_active_orders and RecordKind.MEDICATIONS in unavailable):
        return _finding(_unavailable(unavailable, knowledge), None, knowledge)
    return None


def unidentified_orders(references: tuple[str, ...], knowledge: Knowledge) -> Finding:
    """Orders whose medication could not be identified: they may be baclofen, unchecked."""
    label = knowledge.text(CODE, "unidentified_fact")
    return Finding(
        CODE,
        "warning",
        None,
        values={"what": knowledge.text(CODE, "unidentified")},
        facts=tuple((label, reference) for reference in references),
        notes=(knowledge.text(CODE, "unidentified_note"),),
    )


def not_evaluated(count: int, knowledge: Knowledge) -> Finding:
    """Orders beyond the per-call limit: named as not checked, never silently dropped."""
    limit = MAX_ORDERS_PER_CALL
    return Finding(
        CODE,
        "warning",
        None,
        values={"what": knowledge.text(CODE, "not_evaluated", count=count, limit=limit)},
        facts=(
            (
                knowledge.words("fact_not_checked"),
                knowledge.text(CODE, "not_evaluated_fact", count=count),
            ),
        ),
        notes=(knowledge.text(CODE, "not_evaluated_note", limit=limit),),
    )
