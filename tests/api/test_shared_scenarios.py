"""The shared example scenarios POST without error and give their expected cards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from service.fixtures import load_fixture
from tests.conftest import SHARED_SCENARIOS
from tests.expectations import problems

SCENARIOS = sorted(SHARED_SCENARIOS.glob("*.json")) if SHARED_SCENARIOS.is_dir() else []


@pytest.mark.skipif(not SCENARIOS, reason="../shared/scenarios is not next to this checkout")
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
async def test_shared_scenario(make_app: Callable[..., FastAPI], path: Path) -> None:
    fixture = load_fixture(path)
    app = make_app(today=fixture.evaluation_date)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        response = await http.post(f"/cds-services/{fixture.service}", json=fixture.request)
    assert response.status_code == 200, response.text
    assert not problems(fixture.expect, response.json())
