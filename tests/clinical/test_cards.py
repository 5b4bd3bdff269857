"""Every card of every fixture keeps the card contract, and every suggestion is valid FHIR."""

from __future__ import annotations

from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class

from service.clinical.knowledge import Knowledge
from service.pipeline.examples import load_fixture
from tests.clinical.conftest import assess_fixture
from tests.conftest import FIXTURES

FILES = sorted(FIXTURES.glob("*.json"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_card_contract(knowledge: Knowledge, path: Path) -> None:
    fixture = load_fixture(path)
    context = fixture.request["context"]
    result = assess_fixture(knowledge, fixture)
    for card in result.cards:
        assert card.source.topic is not None
        code = card.source.topic.code
        assert code in knowledge.rules_file.rules
        assert len(card.summary) < 140
        assert "{" not in card.summary and "None" not in card.summary
        assert card.detail is not None
        assert "**Sources:**" in card.detail and knowledge.version in card.detail
        assert knowledge.version in card.source.label
        assert card.source.url == f"https://cds.example.org/knowledge/rules/{code}"
        if card.indicator != "info":
            assert card.overrideReasons, code
            assert all(reason.display for reason in card.overrideReasons)
        if card.suggestions:
            assert card.selectionBehavior is not None
        for suggestion in card.suggestions:
            assert suggestion.label and suggestion.actions
            for action in suggestion.actions:
                assert action.description
                if action.resource is None:
                    assert action.type == "delete" and action.resourceId
                    continue
                resource = action.resource
                get_fhir_model_class(resource["resourceType"]).model_validate(resource)
                assert resource["subject"] == {"reference": f"Patient/{context['patientId']}"}
                text = str(resource)
                assert "None" not in text and "TODO" not in text and "{placeholder" not in text


def test_cards_are_ordered_critical_warning_info(knowledge: Knowledge) -> None:
    result = assess_fixture(knowledge, load_fixture(next(FIXTURES.glob("03-*.json"))))
    assert [c.indicator.value for c in result.cards] == ["critical", "warning", "info"]
