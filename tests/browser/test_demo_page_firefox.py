"""The demo and the analytics page in headless Firefox (ESR), driven over WebDriver BiDi.

The same clinician's flow as in Chromium (tests/browser/test_demo_page.py), with clicks made by
the page's own DOM (``element.click()``), and the same axe-core check: the pages use standard
HTML, CSS and JavaScript only (a native ``<dialog>``, ``fetch``, ``structuredClone``), and this
shows they work in Firefox's engine too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from service.app.demo_server import demo_settings, no_fetching
from service.app.factory import create_app
from tests.browser.firefox import Firefox, firefox
from tests.browser.support import ARTIFACTS, SERIOUS, axe_source, serving

EXAMPLE = "03-increase-60-120-mg-day"
WAIT_S = 30


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("demo") / "demo.sqlite3"

    def make_app(port: int) -> FastAPI:
        return create_app(demo_settings(port, store), demo=True, fetcher_factory=no_fetching)

    with serving(make_app) as base:
        yield base


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Firefox]:
    with firefox(tmp_path_factory.mktemp("firefox") / "profile") as driver:
        yield driver


def serious_violations(browser: Firefox) -> list[str]:
    browser.execute(axe_source())
    violations = browser.run("axe.run(document, {resultTypes: ['violations']})")["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in violations if v["impact"] in SERIOUS]


def click(browser: Firefox, selector: str) -> None:
    found = f"document.querySelector({json.dumps(selector)})"
    assert browser.run(f"(() => {{ const e = {found}; if (e) e.click(); return !!e; }})()"), (
        selector
    )


def card(rule: str) -> str:
    return f'#cards article.card[data-rule="{rule}"]'


def present(selector: str) -> str:
    return f"document.querySelector({json.dumps(selector)}) !== null"


def status_has(text: str) -> str:
    return f"document.getElementById('status').textContent.includes({json.dumps(text)})"


def test_the_clinicians_flow_in_firefox(demo: str, browser: Firefox) -> None:
    browser.get(f"{demo}/demo")
    assert browser.run("document.title").startswith("Demo EHR")
    browser.run(f"document.getElementById('example').value = {json.dumps(EXAMPLE)}")
    click(browser, "#pick button[type=submit]")
    browser.wait_for(status_has("patient-view answered"), "patient-view", WAIT_S)
    click(browser, "#sign")
    browser.wait_for(present(card("dose-above-max")), "the critical card", WAIT_S)
    assert browser.run(f"document.querySelector('{card('dose-above-max')}').dataset.indicator") == (
        "critical"
    )
    assert serious_violations(browser) == []

    click(browser, f"{card('titration-too-fast')} button.override")
    assert browser.run("document.getElementById('override-dialog').open")
    assert serious_violations(browser) == []
    click(browser, "#override-reasons input[type=radio]")
    click(browser, "#override-form button[type=submit]")
    browser.wait_for(f"!({present(card('titration-too-fast'))})", "the card overridden", WAIT_S)

    click(browser, f"{card('dose-above-max')} button.accept")
    browser.wait_for(f"!({present(card('dose-above-max'))})", "the critical card gone", WAIT_S)
    browser.wait_for(status_has("order-sign answered"), "order-sign again", WAIT_S)
    draft = browser.run("document.querySelector('#drafts li.order').textContent")
    assert "30 mg + 20 mg + 20 mg" in draft and "70 mg/day" in draft
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(ARTIFACTS / "demo-page-firefox.png")

    rows_script = (
        "Object.fromEntries(Array.from(document.querySelectorAll('tr.rule-row'),"
        " r => [r.dataset.rule, [r.dataset.accepted, r.dataset.overridden]]))"
    )
    deadline = time.monotonic() + WAIT_S
    while True:
        browser.get(f"{demo}/analytics?period=7d")
        rows = browser.run(rows_script)
        if {"dose-above-max", "titration-too-fast"} <= set(rows):
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.5)
    assert rows["dose-above-max"][0] == "1" and rows["titration-too-fast"][1] == "1"
    assert serious_violations(browser) == []
    browser.screenshot(ARTIFACTS / "analytics-page-firefox.png")
    assert Path(ARTIFACTS / "analytics-page-firefox.png").stat().st_size > 10_000
