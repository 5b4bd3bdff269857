"""Every example in fixtures/ gives the cards its file expects, through the evaluation
pipeline (the HTTP layer is tested in tests/api)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.clinical.knowledge import Knowledge
from service.pipeline.examples import load_fixture
from tests.clinical.conftest import pipeline_answer
from tests.conftest import FIXTURES
from tests.expectations import problems

FILES = sorted(FIXTURES.glob("*.json"))


def test_there_are_at_least_40_examples_of_our_own() -> None:
    assert len(FILES) - 14 >= 40


def test_every_rule_code_has_an_example(knowledge: Knowledge) -> None:
    covered = set()
    for path in FILES:
        covered |= set(load_fixture(path).expect.get("present", {}))
    assert covered >= set(knowledge.rules_file.rules), set(knowledge.rules_file.rules) - covered


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
async def test_fixture(knowledge: Knowledge, path: Path) -> None:
    fixture = load_fixture(path)
    assert not problems(fixture.expect, await pipeline_answer(knowledge, fixture))
