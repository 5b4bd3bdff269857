"""Fail loud: say which checks could not run and why, instead of staying silent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from service.clinical.facts import BaclofenOrder, HookFacts
from service.clinical.facts.build import MAX_ORDERS_PER_CALL
from service.clinical.findings import Finding
from service.clinical.rules.base import RuleInput, rule

# What each prefetch key feeds, for a prescriber reading the card.
WHAT_A_KEY_FEEDS = {
    "medications": "the medication list (interactions, duplicates, titration history)",
    "conditions": "the problem list (contraindications, cautions)",
    "observations": "lab results and weight (renal, paediatric and monitoring checks)",
    "allergies": "the allergy list (hypersensitivity)",
}


# The rules that need to know whether an order starts or changes therapy: with the
# medication list unavailable they do not run (rules.md "New start": never assume one).
NEEDS_HISTORY = (
    "start-dose-high",
    "titration-plan",
    "titration-too-fast",
    "abrupt-discontinuation",
    "intrathecal-discontinuation",
)


@rule("data-missing")
def data_missing(inp: RuleInput) -> Iterator[Finding]:
    missing: list[tuple[str, str]] = []
    if inp.patient.age is None:
        missing.append(("birth date", "age checks (children, elderly) did not run"))
    if inp.order.dose.dose_absent:
        missing.append(("dose", "the order states no dose: dose checks did not run"))
    missing += _unavailable(inp.patient.unavailable)
    if missing:
        yield _finding(missing, inp.order)


def _unavailable(unavailable: Mapping[str, str]) -> list[tuple[str, str]]:
    missing = []
    for key, reason in sorted(unavailable.items()):
        what = WHAT_A_KEY_FEEDS.get(key, key)
        missing.append((what.split(" (")[0], f"{what} could not be obtained: {reason}"))
        if key == "medications":
            missing.append(
                (
                    "",
                    "whether the order starts or changes therapy is unknown, so these checks "
                    f"did not run and no schedule is suggested: {', '.join(NEEDS_HISTORY)}",
                )
            )
    return missing


def _finding(missing: list[tuple[str, str]], order: BaclofenOrder | None) -> Finding:
    short = ", ".join(m[0] for m in missing if m[0])
    if len(short) > 90:
        short = f"{len(missing)} pieces of data are missing"
    return Finding(
        "data-missing",
        "warning",
        order,
        values={"what": short + " missing" if "missing" not in short else short},
        facts=tuple(("Missing" if what else "Not checked", detail) for what, detail in missing),
    )


def unchecked(
    facts: HookFacts, findings: Sequence[Finding], *, patient_view: bool
) -> Finding | None:
    """Data that could not be obtained, when no order's card says so already.

    The per-order rule does not run on a stopped order (only the stop rules do), and a
    patient-view whose medication list could not be read finds no order at all: both were
    answered with no card, silence where the checks had not run.
    """
    unavailable = facts.patient.unavailable
    if not unavailable or any(finding.rule == "data-missing" for finding in findings):
        return None
    if facts.orders or (patient_view and "medications" in unavailable):
        return _finding(_unavailable(unavailable), None)
    return None


def unidentified_orders(references: tuple[str, ...]) -> Finding:
    """Orders whose medication could not be identified: they may be baclofen, unchecked."""
    return Finding(
        "data-missing",
        "warning",
        None,
        values={"what": "the medication of an order could not be identified"},
        facts=tuple(("Unidentified medication", reference) for reference in references),
        notes=(
            "The order names no medication code or text, and its medicationReference could "
            "not be resolved: if it is baclofen, none of the checks ran.",
        ),
    )


def not_evaluated(count: int) -> Finding:
    """Orders beyond the per-call limit: named as not checked, never silently dropped."""
    return Finding(
        "data-missing",
        "warning",
        None,
        values={"what": f"{count} baclofen orders beyond the first {MAX_ORDERS_PER_CALL}"},
        facts=(("Not checked", f"{count} further baclofen orders of this call"),),
        notes=(
            f"At most {MAX_ORDERS_PER_CALL} baclofen orders are checked per call: review the "
            "others by hand, or send them in a separate call.",
        ),
    )
