"""The shared example scenarios POST without error and give their expected cards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from service.fixtures import load_fixture
from tests.conftest import SHARED_SCENARIOS, codes

SEVERITY = {"info": 0, "warning": 1, "critical": 2}
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
    body = response.json()
    expect = fixture.expect
    if expect.get("empty"):
        assert body == {"cards": []}
        return
    got = codes(body)
    for code, indicator in expect["present"].items():
        assert got.get(code) == indicator, got
    for code in expect["absent"]:
        assert code not in got
    if expect.get("strict"):
        extra = {c for c, i in got.items() if i != "info" and c not in expect["present"]}
        assert not extra, extra
    order = [SEVERITY[card["indicator"]] for card in body["cards"]]
    assert order == sorted(order, reverse=True)
