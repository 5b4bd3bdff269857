"""Fail loud: say which checks could not run and why, instead of staying silent."""

from __future__ import annotations

from collections.abc import Iterator

from service.clinical.findings import Finding
from service.clinical.rules.base import RuleInput, rule

# What each prefetch key feeds, for a prescriber reading the card.
WHAT_A_KEY_FEEDS = {
    "medications": "the medication list (interactions, duplicates, titration history)",
    "conditions": "the problem list (contraindications, cautions)",
    "observations": "lab results and weight (renal, paediatric and monitoring checks)",
    "allergies": "the allergy list (hypersensitivity)",
}


@rule("data-missing")
def data_missing(inp: RuleInput) -> Iterator[Finding]:
    missing: list[tuple[str, str]] = []
    if inp.patient.age is None:
        missing.append(("birth date", "age checks (children, elderly) did not run"))
    if inp.order.dose.dose_absent:
        missing.append(("dose", "the order states no dose: dose checks did not run"))
    for key, reason in sorted(inp.patient.unavailable.items()):
        what = WHAT_A_KEY_FEEDS.get(key, key)
        missing.append((what.split(" (")[0], f"{what} could not be obtained: {reason}"))
    if not missing:
        return
    short = ", ".join(m[0] for m in missing)
    if len(short) > 90:
        short = f"{len(missing)} pieces of data are missing"
    yield Finding(
        "data-missing",
        "warning",
        inp.order,
        values={"what": short + " missing" if "missing" not in short else short},
        facts=tuple(("Missing", detail) for _, detail in missing),
    )


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
