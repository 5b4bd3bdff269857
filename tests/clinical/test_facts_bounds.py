"""Facts that must not be made up from too little: kidney function of a child, a condition
named after a long text."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from service.clinical.facts.conditions import classify_condition
from service.clinical.facts.model import Age, Measurement
from service.clinical.facts.renal import renal_function
from service.clinical.knowledge import KNOWLEDGE_DIR, Knowledge, KnowledgeError, load_knowledge

ON = dt.date(2026, 11, 1)


def creatinine(mg_dl: float) -> Measurement:
    return Measurement("Serum creatinine", mg_dl, "mg/dL", ON, "2160-0")


def weight(kg: float) -> Measurement:
    return Measurement("Body weight", kg, "kg", ON, "29463-7")


def age(years: int) -> Age:
    return Age(years, years, dt.date(2026 - years, 1, 1))


def test_no_cockcroft_gault_estimate_for_a_child(knowledge: Knowledge) -> None:
    # The formula is for adults: a healthy 1-year-old (10 kg, 0.35 mg/dL) would read as
    # 55 mL/min, a kidney impairment the child does not have.
    adult = knowledge.dosing.pediatric.adult_from_age
    child = renal_function(None, creatinine(0.35), age(adult - 1), "male", weight(10), knowledge)
    assert child is None


def test_the_estimate_from_the_adult_age_on(knowledge: Knowledge) -> None:
    adult = knowledge.dosing.pediatric.adult_from_age
    found = renal_function(None, creatinine(1.0), age(adult), "male", weight(70), knowledge)
    assert found is not None and found.value > 0


def test_a_display_after_a_long_text_is_still_read(knowledge: Knowledge) -> None:
    # Each text is matched on its own: joined, the display fell beyond the bound on text
    # length and the pregnancy went unseen.
    concept = {"text": "x" * 995, "coding": [{"display": "Pregnancy"}]}
    matched, _ = classify_condition(concept, knowledge)
    assert "pregnancy" in matched


def test_a_rule_that_can_warn_needs_override_reasons(tmp_path: Path) -> None:
    # An info indicator among its possible ones does not excuse a critical card from reasons.
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = target / "rules.yaml"
    old = (
        "    indicator: critical\n"
        '    sources: ["000", "001", "003", "004", D07]\n'
        '    summary: "Baclofen {dose} mg/day exceeds the {limit} mg/day maximum"\n'
    )
    new = old.replace("indicator: critical", "indicators: [info, critical]")
    text = path.read_text()
    assert old in text
    text = text.replace(old, new, 1).replace(
        "    override_reasons: [monitored-setting, already-tolerated, record-incorrect]\n", "", 1
    )
    path.write_text(text)
    with pytest.raises(KnowledgeError, match="need override reasons"):
        load_knowledge(target)
