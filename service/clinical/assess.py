"""The clinical core's one entry point: a case in, findings out."""

from __future__ import annotations

from dataclasses import dataclass

from service.clinical.case import ClinicalCase
from service.clinical.facts import build_facts
from service.clinical.findings import Finding
from service.clinical.knowledge import Knowledge
from service.clinical.rules import evaluate

__all__ = ["Assessment", "assess"]


@dataclass(frozen=True)
class Assessment:
    """The findings on a case, with the case (its patient and date word the suggestions)."""

    case: ClinicalCase
    findings: list[Finding]


def assess(case: ClinicalCase, knowledge: Knowledge) -> Assessment:
    facts = build_facts(case, knowledge)
    return Assessment(case, evaluate(facts, knowledge, trigger=case.trigger))
