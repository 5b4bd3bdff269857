"""docs/catalogue.md is the knowledge files as a document, and always current."""

from __future__ import annotations

import shutil
from pathlib import Path

from service.clinical.knowledge import Knowledge, load_knowledge
from service.clinical.knowledge.catalogue import catalogue
from service.clinical.knowledge.loader import KNOWLEDGE_DIR

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "catalogue.md"


def test_the_catalogue_in_docs_is_current(knowledge: Knowledge) -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == catalogue(knowledge), (
        "regenerate it: .venv/bin/python -m service.clinical.knowledge.catalogue "
        "> docs/catalogue.md"
    )


def test_the_catalogue_names_every_rule_and_leaflet(knowledge: Knowledge) -> None:
    text = catalogue(knowledge)
    for code in knowledge.rules_file.rules:
        assert f"| `{code}` |" in text
    for leaflet in knowledge.manifest.leaflets.values():
        assert leaflet.product in text and leaflet.document in text


def test_a_threshold_edited_in_the_data_shows_in_the_catalogue(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    dosing = copy / "dosing.yaml"
    dosing.write_text(dosing.read_text().replace("max_daily_mg: 100", "max_daily_mg: 90"))
    edited = load_knowledge(copy)
    assert "above 90 mg/day, the adult maximum" in catalogue(edited)
    assert "Every leaflet sets 90 mg/day" in edited.render(edited.rule("dose-above-max").why)


def test_the_version_changes_with_any_knowledge_file(tmp_path: Path, knowledge: Knowledge) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    wording = copy / "wording.yaml"
    wording.write_text(wording.read_text().replace("Change to", "Change it to"))
    edited = load_knowledge(copy)
    assert edited.release == knowledge.release
    assert edited.version != knowledge.version
    assert knowledge.version.startswith(f"{knowledge.release}+")
