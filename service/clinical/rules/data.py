"""Fail loud: say which checks could not run and why, instead of staying silent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from service.clinical.facts import BaclofenOrder
from service.clinical.facts.build import MAX_ORDERS_PER_CALL
from service.clinical.findings import Finding
from service.clinical.knowledge import Knowledge
from service.clinical.records import RecordKind
from service.clinical.rules.base import AnswerInput, RuleInput

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


def data_missing(inp: RuleInput) -> Iterator[Finding]:
    """What this order's checks lacked: a birth date, a dose, a list that could not be read."""
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


def unidentified_orders(ans: AnswerInput) -> Iterator[Finding]:
    """Orders whose medication could not be identified: they may be baclofen, unchecked."""
    if not ans.facts.unidentified:
        return
    knowledge = ans.knowledge
    label = knowledge.text(CODE, "unidentified_fact")
    yield Finding(
        CODE,
        "warning",
        None,
        values={"what": knowledge.text(CODE, "unidentified")},
        facts=tuple((label, reference) for reference in ans.facts.unidentified),
        notes=(knowledge.text(CODE, "unidentified_note"),),
    )


def orders_not_evaluated(ans: AnswerInput) -> Iterator[Finding]:
    """Orders beyond the per-call limit: named as not checked, never silently dropped."""
    count = ans.facts.not_evaluated
    if not count:
        return
    knowledge = ans.knowledge
    limit = MAX_ORDERS_PER_CALL
    yield Finding(
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


def unchecked(ans: AnswerInput) -> Iterator[Finding]:
    """Data that could not be obtained, when no card of the answer says so already.

    The per-order rule does not run on a stopped order (only the stop rules do), and a
    patient-view whose medication list could not be read finds no order at all: both were
    answered with no card, silence where the checks had not run.
    """
    facts = ans.facts
    unavailable = facts.patient.unavailable
    if not unavailable or any(finding.rule == CODE for finding in ans.findings):
        return
    if facts.orders or (
        ans.trigger.reviews_active_orders and RecordKind.MEDICATIONS in unavailable
    ):
        yield _finding(_unavailable(unavailable, ans.knowledge), None, ans.knowledge)
