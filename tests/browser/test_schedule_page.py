"""The schedule page in a real headless browser (Debian's chromium and chromedriver).

A real uvicorn server answers; the browser opens the page a taper card links to, and checks
what a patient would see: one table row and one chart bar per step. A screenshot is kept in
tests/artifacts/ (git-ignored) for the record of the CI run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.app.factory import create_app
from service.pipeline.examples import load_fixture
from tests.browser.support import ARTIFACTS, chromium, serving
from tests.conftest import FIXTURES, make_settings


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    fixture = load_fixture(next(FIXTURES.glob("11-*.json")))

    def make_app(port: int) -> FastAPI:
        settings = make_settings(public_base_url=f"http://127.0.0.1:{port}")
        return create_app(settings, clock=lambda: fixture.evaluation_date)

    with serving(make_app) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def test_taper_page_in_a_browser(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    fixture = load_fixture(next(FIXTURES.glob("11-*.json")))
    answer = httpx.post(
        f"{server}/cds-services/{fixture.service}", json=fixture.request, timeout=30
    )
    card = next(
        c
        for c in answer.json()["cards"]
        if c["source"]["topic"]["code"] == "abrupt-discontinuation"
    )
    url = card["links"][0]["url"]
    assert url.startswith(server)
    steps = card["suggestions"][0]["actions"][0]["resource"]["dosageInstruction"]
    expected = sorted({line["sequence"] for line in steps})

    browser.get(url)
    assert "reducing the dose" in browser.title
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.step-row")
    bars = browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.step")
    assert len(rows) == len(bars) == len(expected)
    dailies = [float(bar.get_attribute("data-daily") or 0) for bar in bars]
    assert dailies == sorted(dailies, reverse=True)  # a taper only goes down
    assert all(bar.size["width"] > 0 and bar.size["height"] > 0 for bar in bars)
    assert browser.find_element(By.CSS_SELECTOR, "tr.stop").text.endswith("0")
    # The chart starts at the dose being left (45 mg/day), drawn before the first step.
    now = browser.find_element(By.CSS_SELECTOR, "svg.chart rect.now")
    assert float(now.get_attribute("data-daily") or 0) == 45 > dailies[0]
    assert now.location["x"] < bars[0].location["x"] and now.size["height"] > bars[0].size["height"]
    assert browser.find_element(By.CSS_SELECTOR, ".warning").is_displayed()
    assert "Baclofen 10 mg tablets" in browser.find_element(By.CSS_SELECTOR, ".meta").text
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "schedule-page.png"))
    assert (ARTIFACTS / "schedule-page.png").stat().st_size > 10_000
    Path(ARTIFACTS / "schedule-page.url").write_text(url)
