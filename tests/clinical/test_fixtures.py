"""Every example in fixtures/ gives the cards its file expects, through the HTTP pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from service.clinical.knowledge import Knowledge
from service.fixtures import load_fixture
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
async def test_fixture(make_app: Callable[..., FastAPI], path: Path) -> None:
    fixture = load_fixture(path)
    app = make_app(today=fixture.evaluation_date)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        response = await http.post(f"/cds-services/{fixture.service}", json=fixture.request)
    assert response.status_code == 200, response.text
    assert not problems(fixture.expect, response.json())
