"""The knowledge files tested as data: complete, cited, consistent, and refused when broken."""

from __future__ import annotations

import itertools
import shutil
import string
from pathlib import Path

import pytest

from service.clinical.knowledge import KNOWLEDGE_DIR, Knowledge, KnowledgeError, load_knowledge
from service.clinical.rules import catalogue_codes


def test_rule_codes_are_those_of_the_catalogue(knowledge: Knowledge) -> None:
    assert set(knowledge.rules_file.rules) == catalogue_codes()


def test_every_rule_cites_a_leaflet_or_a_named_reference(knowledge: Knowledge) -> None:
    """A leaflet where one says it; a named reference (a product monograph, the boxed
    warning) where none does: a card never rests on research notes alone."""
    primary = set(knowledge.manifest.leaflets) | set(knowledge.manifest.references)
    for code, rule in knowledge.rules_file.rules.items():
        assert set(rule.sources) & primary, code


def test_every_source_is_described(knowledge: Knowledge) -> None:
    for rule in knowledge.rules_file.rules.values():
        for source in rule.sources:
            assert knowledge.describe_source(source) != source, source


def test_warning_and_critical_rules_offer_override_reasons(knowledge: Knowledge) -> None:
    for code, rule in knowledge.rules_file.rules.items():
        if set(rule.possible_indicators) - {"info"}:
            assert len(rule.override_reasons) >= 2 or code == "intrathecal-route", code


def test_summaries_fit_with_long_values(knowledge: Knowledge) -> None:
    """Every summary template, filled with long but realistic values, stays under 140."""
    long_values = {
        "dose": "30000",
        "limit": "2000",
        "label_limit": "80",
        "increase": "100",
        "max_step": "15 mg/day per step",
        "days_since_change": "2",
        "interval": "3",
        "target": "30",
        "strength": "12.5",
        "problem": "the dose unit 'tablet(s) of 10 mg' is not recognised",
        "unit": "micrograms",
        "doses": "oral unknown + intrathecal 12345.5 mcg/day by pump",
        "count": "20",
        "band_per_kg": "2.5",
        "kg": "112.35",
        "age_text": "3-4 years",
        "age": "17",
        "mg_per_kg": "3.41",
        "per_kg_limit": "2.5",
        "months": "3",
        "renal": "x" * 60,
        "cap": "40",
        "allergy": "x" * 40,
        "condition": "x" * 50,
        "evidence": "x" * 45,
        "drugs": "dextropropoxyphene and hydromorphone and 3 more",
        "what": "x" * 90,
        "decrease": "100",
        "min_days": "14",
        "percent": "100",
        "route": "subcutaneous",
    }
    for code, rule in knowledge.rules_file.rules.items():
        templates = rule.summary.values() if isinstance(rule.summary, dict) else [rule.summary]
        for template in templates:
            fields = {
                name
                for _, name, _, _ in string.Formatter().parse(template)
                if name and not name.startswith("dosing.")
            }
            assert fields <= set(long_values), (code, fields - set(long_values))
            assert len(knowledge.render(template, **long_values)) < 140, (code, template)


def test_code_lists_are_not_empty(knowledge: Knowledge) -> None:
    for name, value_set in knowledge.conditions.value_sets.items():
        assert value_set.icd10cm and value_set.snomed and value_set.words, name
    for name, drug_class in knowledge.medications.interacting_classes.items():
        assert drug_class.rxnorm and drug_class.atc_prefixes and drug_class.names, name
    assert knowledge.medications.baclofen.products


def test_paediatric_bands_are_contiguous(knowledge: Knowledge) -> None:
    bands = knowledge.dosing.pediatric.bands
    assert bands[0].from_age == 0
    for before, after in itertools.pairwise(bands):
        assert after.from_age == before.to_age + 1
    assert bands[-1].to_age + 1 == knowledge.dosing.pediatric.adult_from_age


def test_observation_prefetch_asks_for_every_code_the_rules_read(knowledge: Knowledge) -> None:
    codes = set(knowledge.observation_codes)
    for group in knowledge.loinc_groups.values():
        assert group <= codes


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_a_yaml_error_stops_loading_naming_the_file(knowledge_copy: Path) -> None:
    (knowledge_copy / "dosing.yaml").write_text("oral: [unclosed\n")
    with pytest.raises(KnowledgeError, match=r"dosing\.yaml: not valid YAML"):
        load_knowledge(knowledge_copy)


def test_an_unknown_key_stops_loading_naming_the_place(knowledge_copy: Path) -> None:
    path = knowledge_copy / "dosing.yaml"
    path.write_text(path.read_text().replace("max_daily_mg: 100", "max_daily_mgs: 100"))
    with pytest.raises(KnowledgeError, match=r"dosing\.yaml: .*oral"):
        load_knowledge(knowledge_copy)


def test_an_undefined_source_stops_loading(knowledge_copy: Path) -> None:
    path = knowledge_copy / "rules.yaml"
    path.write_text(
        path.read_text().replace(
            'sources: ["000", "001", "003", "004", D07]', 'sources: ["009"]', 1
        )
    )
    with pytest.raises(KnowledgeError, match="source '009' is not defined"):
        load_knowledge(knowledge_copy)


def test_a_version_without_a_change_note_stops_loading(knowledge_copy: Path) -> None:
    path = knowledge_copy / "manifest.yaml"
    path.write_text(path.read_text().replace('version: "2.0.0"', 'version: "2.0.1"', 1))
    with pytest.raises(KnowledgeError, match="changes"):
        load_knowledge(knowledge_copy)
