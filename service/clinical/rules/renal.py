"""Kidney function: contraindicated below CrCl/eGFR 30, capped at 40 mg/day below 60."""

from __future__ import annotations

from collections.abc import Iterator

from service.clinical.findings import Finding
from service.clinical.limits import effective_renal_value, renal_band
from service.clinical.order_text import names, order_facts
from service.clinical.rules.base import RuleInput
from service.clinical.suggestions import (
    judged_daily,
    move_to,
    stepping_note,
    within_renal_cap,
)
from service.clinical.wording import number


def _renal_evidence(
    inp: RuleInput, value_set: str, below: float
) -> tuple[str, list[tuple[str, str]]]:
    """A short description for the summary, and the facts lines.

    The summary names the measurement when it is what crosses ``below``, else the coded
    condition that put the patient in this band.
    """
    patient = inp.patient
    coded = patient.conditions_in(value_set)
    renal = patient.renal
    facts: list[tuple[str, str]] = []
    if renal is not None:
        facts.append((inp.knowledge.words("fact_renal_function"), renal.text))
    if coded:
        facts.append(
            (inp.knowledge.words("fact_recorded_condition"), names(c.label for c in coded))
        )
    if renal is not None and (effective_renal_value(renal) < below or not coded):
        short = f"{renal.label} {renal.comparator or ''}{number(renal.value)} {renal.unit}"
    else:
        short = coded[0].label if coded else "renal impairment"
    if len(short) > 60:
        short = short[:57] + "..."
    return short, facts


def renal_contraindication(inp: RuleInput) -> Iterator[Finding]:
    if renal_band(inp.patient, inp.knowledge) != "contraindicated":
        return
    renal = inp.knowledge.dosing.renal
    short, facts = _renal_evidence(inp, "renal_failure", renal.contraindicated_below)
    cap = renal.contraindicated_continued_daily_mg
    suggestion = None
    daily = judged_daily(inp)
    if inp.is_oral and not inp.order.is_stop and (daily is None or daily > cap):
        suggestion = move_to(
            inp, cap, "why_renal_continued", per_day=renal.contraindicated_continued_per_day
        )
    yield Finding(
        "renal-contraindication",
        "critical",
        inp.order,
        values={"renal": short},
        facts=(*facts, order_facts(inp.order, inp.knowledge)),
        notes=(
            inp.knowledge.text("renal-contraindication", "continued", cap=number(cap)),
            *(stepping_note(inp, cap) if suggestion else ()),
        ),
        suggestions=(suggestion,) if suggestion else (),
    )


def renal_impairment(inp: RuleInput) -> Iterator[Finding]:
    """When kidney function is impaired; then the dose within the renal maximum, reached
    by the slow titration for a start or an increase."""
    if renal_band(inp.patient, inp.knowledge) != "impaired":
        return
    renal = inp.knowledge.dosing.renal
    short, facts = _renal_evidence(inp, "renal_impairment", renal.impaired_below)
    cap = inp.knowledge.dosing.renal.impaired_cap_daily_mg
    suggestions = within_renal_cap(inp, cap)
    yield Finding(
        "renal-impairment",
        "warning",
        inp.order,
        values={"renal": short, "cap": number(cap)},
        facts=(
            *facts,
            order_facts(inp.order, inp.knowledge),
            (inp.knowledge.words("fact_renal_maximum"), f"{number(cap)} mg/day"),
        ),
        notes=stepping_note(inp, cap) if suggestions else (),
        suggestions=suggestions,
    )
