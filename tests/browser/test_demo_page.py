"""The demo EHR and the analytics page in headless Chromium, as a clinician and a medicines
committee use them.

The demo app is built as ``baclofen-cds demo`` builds it (its settings, its store in a
temporary file, no FHIR fetches) and served by uvicorn. The test opens the example whose dose
is above the maximum, signs, sees the critical card, overrides another card with a reason
(keyboard only), accepts the critical card's suggestion, sees the order change and the card
go, and finds both outcomes counted on the analytics page. axe-core checks both pages (and the
override dialog) for serious or critical accessibility violations.

Accepting the critical card's suggestion resolves every card of this example (the re-run
answers none), so the other card is overridden first, while it is still shown.

Screenshots go to tests/artifacts/; with ``BACLOFEN_CDS_UPDATE_SCREENSHOTS=1`` the demo's also
to docs/ (the README shows it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from service.app.demo_server import demo_settings, no_fetching
from service.app.factory import create_app
from tests.browser.support import chromium, save_screenshot, serious_violations, serving

EXAMPLE = "03-increase-60-120-mg-day"  # 120 mg/day: above the 100 mg/day maximum
WAIT_S = 30  # generous: the machine may be loaded


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("demo") / "demo.sqlite3"

    def make_app(port: int) -> FastAPI:
        return create_app(demo_settings(port, store), demo=True, fetcher_factory=no_fetching)

    with serving(make_app) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(1440, 1200) as driver:
        yield driver


def wait_for(driver: Any, condition: Callable[[Any], Any], what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(condition, message=what)


def card(driver: Any, rule: str) -> Any:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, f'#cards article.card[data-rule="{rule}"]')
    return found[0] if found else None


def status(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, "status").text)


def analytics_rows(driver: Any) -> dict[str, dict[str, str]]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "tr.rule-row")
    return {
        row.get_attribute("data-rule"): {
            name: row.get_attribute(f"data-{name}") for name in ("issued", "accepted", "overridden")
        }
        | {"reasons": row.text}
        for row in rows
    }


def test_sign_accept_override_and_see_it_counted(demo: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    browser.get(f"{demo}/demo")
    assert "Demo EHR" in browser.title
    Select(browser.find_element(By.ID, "example")).select_by_value(EXAMPLE)
    browser.find_element(By.CSS_SELECTOR, "#pick button[type=submit]").send_keys(Keys.ENTER)
    wait_for(browser, lambda d: "patient-view answered" in status(d), "patient-view answered")
    chart = browser.find_element(By.ID, "chart").text
    assert "Quinn Testpatient" in chart and "80 kg" in chart and "eGFR 95" in chart
    draft = browser.find_element(By.CSS_SELECTOR, "#drafts li.order").text
    assert "120 mg/day" in draft

    browser.find_element(By.ID, "sign").send_keys(Keys.ENTER)
    critical = wait_for(browser, lambda d: card(d, "dose-above-max"), "the critical card")
    assert critical.get_attribute("data-indicator") == "critical"
    assert "exceeds the 100 mg/day maximum" in critical.text
    # The detail's markdown is rendered (a list, bold), the source links to the rule's page.
    assert critical.find_elements(By.CSS_SELECTOR, ".detail ul li")
    assert critical.find_elements(By.CSS_SELECTOR, ".detail strong")
    source = critical.find_element(By.CSS_SELECTOR, "footer .source a")
    assert source.get_attribute("href") == f"{demo}/knowledge/rules/dose-above-max"
    assert card(browser, "titration-too-fast") is not None
    save_screenshot(browser, "demo-page.png", "demo-page.png")
    assert serious_violations(browser) == []

    # Override the warning, by keyboard: open the dialog, choose a reason, confirm.
    card(browser, "titration-too-fast").find_element(By.CSS_SELECTOR, "button.override").send_keys(
        Keys.ENTER
    )
    dialog = browser.find_element(By.ID, "override-dialog")
    wait_for(browser, lambda d: dialog.get_attribute("open") is not None, "the override dialog")
    assert serious_violations(browser) == []
    # Escape closes it without overriding anything; the card stays.
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_for(browser, lambda d: dialog.get_attribute("open") is None, "the dialog closed")
    assert card(browser, "titration-too-fast") is not None
    card(browser, "titration-too-fast").find_element(By.CSS_SELECTOR, "button.override").send_keys(
        Keys.ENTER
    )
    wait_for(browser, lambda d: dialog.get_attribute("open") is not None, "the override dialog")
    reasons = browser.find_elements(By.CSS_SELECTOR, "#override-reasons label")
    assert "Patient already tolerates this dose" in [r.text for r in reasons]
    tolerated = next(r for r in reasons if r.text == "Patient already tolerates this dose")
    browser.find_element(By.ID, tolerated.get_attribute("for")).send_keys(Keys.SPACE)
    browser.find_element(By.ID, "override-comment").send_keys("reviewed with the patient")
    browser.find_element(By.CSS_SELECTOR, "#override-form button[type=submit]").send_keys(
        Keys.ENTER
    )
    wait_for(browser, lambda d: card(d, "titration-too-fast") is None, "the overridden card gone")
    assert status(browser).startswith("Overridden:")

    # Accept the critical card's suggestion: the draft takes the whole new dosage, the hook
    # runs again, and the critical card is gone.
    critical = card(browser, "dose-above-max")
    critical.find_element(By.CSS_SELECTOR, "button.accept").send_keys(Keys.ENTER)
    wait_for(browser, lambda d: card(d, "dose-above-max") is None, "the critical card gone")
    wait_for(browser, lambda d: "order-sign answered" in status(d), "order-sign again")
    draft = browser.find_element(By.CSS_SELECTOR, "#drafts li.order").text
    assert "30 mg + 20 mg + 20 mg" in draft and "70 mg/day" in draft
    assert "120 mg/day" not in draft

    # Nothing the page did was refused by its content security policy or failed in its script.
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []

    # The developer panel holds the real requests and answers, feedback included.
    browser.find_element(By.CSS_SELECTOR, "#dev-panel summary").send_keys(Keys.ENTER)
    exchanges = [
        s.get_attribute("textContent")
        for s in browser.find_elements(By.CSS_SELECTOR, "#exchanges > li > details > summary")
    ]
    assert any(e.startswith("feedback (accepted)") and "→ 200" in e for e in exchanges)
    assert any(e.startswith("feedback (overridden)") and "→ 200" in e for e in exchanges)
    assert any(
        e.startswith("order-sign: POST /cds-services/baclofen-order-sign") for e in exchanges
    )

    # Both outcomes on the analytics page (the advice recorder writes off the request path:
    # reload until the cards are there).
    deadline = time.monotonic() + WAIT_S
    while True:
        browser.get(f"{demo}/analytics?period=7d")
        rows = analytics_rows(browser)
        if "dose-above-max" in rows and "titration-too-fast" in rows:
            break
        assert time.monotonic() < deadline, f"cards not counted: {rows}"
        time.sleep(0.5)
    assert rows["dose-above-max"]["accepted"] == "1"
    assert rows["titration-too-fast"]["overridden"] == "1"
    assert "Patient already tolerates this dose" in rows["titration-too-fast"]["reasons"]
    headline = browser.find_element(By.ID, "headline").text
    assert "Most overridden: Baclofen titration too fast" in headline
    save_screenshot(browser, "analytics-after-the-demo.png")
    assert serious_violations(browser) == []


def test_hostile_card_text_stays_text_in_the_browser(demo: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{demo}/demo")
    hostile = {
        "uuid": "c-1",
        "indicator": "critical",
        "summary": "<img src=x onerror=window.pwned=1>",
        "detail": "**x** <script>window.pwned=2</script> <img src=x onerror=window.pwned=3>"
        " [click](javascript:window.pwned=4)",
        "source": {"label": "<b>src</b>", "url": "javascript:window.pwned=5"},
        "links": [{"label": "l", "url": "javascript:window.pwned=6", "type": "absolute"}],
    }
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('demo/cards', {method: 'POST', headers: {'content-type': 'application/json'},"
        " body: JSON.stringify({cards: [arguments[0]]})})"
        ".then(r => r.text()).then(html => {document.getElementById('workspace').hidden = false;"
        " document.getElementById('cards').innerHTML = html; setTimeout(done, 500);});",
        hostile,
    )
    shown = browser.find_element(By.CSS_SELECTOR, "#cards article.card")
    assert "<img src=x onerror=window.pwned=1>" in shown.text
    assert "<script>window.pwned=2</script>" in shown.text
    assert browser.execute_script("return window.pwned === undefined")
    assert not shown.find_elements(By.CSS_SELECTOR, "img, script, b")
    hrefs = [a.get_attribute("href") for a in shown.find_elements(By.TAG_NAME, "a")]
    assert not [h for h in hrefs if h and h.startswith("javascript:")]


def exchanges(driver: Any) -> list[tuple[str, Any, Any]]:
    """The developer panel's entries, newest first: (title, request, answer)."""
    import json

    from selenium.webdriver.common.by import By

    found = []
    for entry in driver.find_elements(By.CSS_SELECTOR, "#exchanges > li > details"):
        title = entry.find_element(By.TAG_NAME, "summary").get_attribute("textContent")
        request, answer = (
            json.loads(pre.get_attribute("textContent"))
            for pre in entry.find_elements(By.TAG_NAME, "pre")
        )
        found.append((title, request, answer))
    return found


def hook_calls(driver: Any) -> list[tuple[str, Any, Any]]:
    return [e for e in exchanges(driver) if not e[0].startswith("feedback")]


# One example per way a suggestion changes the orders: a draft's whole dosage replaced (a
# taper, order-select), a replacement with the active order stopped, an update with a second
# draft deleted, the chart's active order rewritten (patient-view), a lab order created.
APPLIED = [
    "11-stop-45-mg-day-after-a-year",
    "39-new-order-beside-active-order",
    "48-order-select-two-drafts",
    "68-patient-view-120-mg-day-for-six-months",
    "74-two-new-drafts-one-start",
    "13-patient-view-cirrhosis-without-liver-tests",
]


@pytest.mark.parametrize("key", APPLIED)
def test_accepting_applies_every_action_as_an_ehr_does(demo: str, browser: Any, key: str) -> None:
    """The orders the demo sends after accepting are those the reference helper of the
    suggestion tests makes from the same request and suggestion."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from cds_hooks.response import Suggestion
    from tests.clinical.suggestion_checks import apply_suggestion
    from tests.conftest import load_scenario

    hook = load_scenario(key)["request"]["hook"]
    browser.get(f"{demo}/demo")
    Select(browser.find_element(By.ID, "example")).select_by_value(key)
    browser.find_element(By.CSS_SELECTOR, "#pick button[type=submit]").click()
    wait_for(browser, lambda d: "patient-view answered" in status(d), "patient-view answered")
    if hook == "order-sign":
        browser.find_element(By.ID, "sign").click()
    elif hook == "order-select":
        browser.find_element(By.CSS_SELECTOR, "#order-form button[type=submit]").click()
    wait_for(browser, lambda d: hook_calls(d)[0][0].startswith(f"{hook}:"), f"{hook} called")
    wait_for(browser, lambda d: f"{hook} answered" in status(d), f"{hook} answered")
    _, request, answer = hook_calls(browser)[0]
    chosen = next(c for c in answer["cards"] if c.get("suggestions"))
    suggestion = chosen["suggestions"][0]
    button = browser.find_element(
        By.CSS_SELECTOR, f'#cards button.accept[data-suggestion="{suggestion["uuid"]}"]'
    )
    button.click()
    wait_for(browser, lambda d: len(hook_calls(d)) >= 2 and "answered" in status(d), "re-run")
    wait_for(browser, lambda d: hook_calls(d)[0][1]["hookInstance"] != request["hookInstance"], "")
    titles = [title for title, _, _ in exchanges(browser)]
    assert titles[1].startswith("feedback (accepted)") and "→ 200" in titles[1]
    feedback = exchanges(browser)[1][1]["feedback"][0]
    assert feedback["card"] == chosen["uuid"]
    assert feedback["acceptedSuggestions"] == [{"id": suggestion["uuid"]}]
    _, rerun, _ = hook_calls(browser)[0]
    assert rerun["hook"] == hook

    expected = apply_suggestion(request, Suggestion.model_validate(suggestion))
    if expected is None:  # the reference applies MedicationRequests only: a lab order here
        created = [a["resource"] for a in suggestion["actions"] if a["type"] == "create"]
        drafts = browser.find_element(By.ID, "drafts").text
        assert created and all(r["resourceType"] in drafts for r in created)
        return
    assert rerun["context"].get("draftOrders") == expected["context"].get("draftOrders")
    assert rerun["context"].get("selections") == expected["context"].get("selections")
    assert rerun["prefetch"] == expected["prefetch"]


def test_a_cards_schedule_link_opens_the_printable_schedule(demo: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(f"{demo}/demo")
    Select(browser.find_element(By.ID, "example")).select_by_value("11-stop-45-mg-day-after-a-year")
    browser.find_element(By.CSS_SELECTOR, "#pick button[type=submit]").click()
    wait_for(browser, lambda d: "patient-view answered" in status(d), "patient-view answered")
    browser.find_element(By.ID, "sign").click()
    taper = wait_for(browser, lambda d: card(d, "abrupt-discontinuation"), "the taper card")
    link = taper.find_element(By.CSS_SELECTOR, "ul.links a")
    assert link.get_attribute("href").startswith(f"{demo}/schedules/view?")
    assert link.get_attribute("target") == "_blank"
    before = set(browser.window_handles)
    link.click()
    wait_for(browser, lambda d: len(d.window_handles) > len(before), "a new tab")
    opened = (set(browser.window_handles) - before).pop()
    demo_tab = browser.current_window_handle
    browser.switch_to.window(opened)
    try:
        wait_for(browser, lambda d: "reducing the dose" in d.title, "the schedule page")
        assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.step")
    finally:
        browser.close()
        browser.switch_to.window(demo_tab)
