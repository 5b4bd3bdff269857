"""The shared example scenarios POST without error and give their expected cards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.conftest import SHARED_SCENARIOS
from tests.expectations import check_example

SCENARIOS = sorted(SHARED_SCENARIOS.glob("*.json")) if SHARED_SCENARIOS.is_dir() else []


@pytest.mark.skipif(not SCENARIOS, reason="../shared/scenarios is not next to this checkout")
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
async def test_shared_scenario(make_app: Callable[..., FastAPI], path: Path) -> None:
    await check_example(make_app, path)
