"""The analytics page in headless Chromium over a month of history: what a medicines committee
reads. The store is filled beforehand with cards and feedback spread over 30 days (synthetic,
fixed by a seed), the page's numbers are checked against that history, axe-core finds no
serious violation, and the screenshot is the README's (``BACLOFEN_CDS_UPDATE_SCREENSHOTS=1``)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from cds_hooks.feedback import FeedbackItem
from service.api import analytics_page
from service.app.factory import create_app
from service.clinical.knowledge import Knowledge, load_knowledge
from service.store import Database, Store
from service.store.advice import IssuedAdvice
from service.store.feedback import FeedbackRecord
from tests.browser.support import chromium, save_screenshot, serious_violations, serving
from tests.conftest import make_settings

SERVICE = "baclofen-order-sign"
DAYS = 30


@dataclass(frozen=True)
class History:
    rule: str
    per_day: tuple[int, int]  # cards issued a day, at least and at most
    overridden_first: float  # share overridden on the first day, then moving linearly to ...
    overridden_last: float
    accepted: float  # share accepted of those not overridden


HISTORY = (
    History("interaction-opioid", (8, 14), 0.55, 0.7, 0.1),
    History("titration-too-fast", (6, 12), 0.6, 0.15, 0.5),
    History("dose-above-max", (4, 9), 0.1, 0.05, 0.8),
    History("renal-impairment", (2, 7), 0.3, 0.3, 0.4),
    History("elderly", (3, 8), 0.2, 0.25, 0.0),
)


def history(
    knowledge: Knowledge, today: datetime
) -> tuple[list[IssuedAdvice], list[FeedbackRecord], dict[str, tuple[int, int, int]]]:
    """Cards and feedback over the last DAYS days, and per rule (issued, accepted, overridden)."""
    chance = random.Random(17)
    rules = knowledge.rules_file
    cards, feedback, totals = [], [], {}
    for plan in HISTORY:
        reasons = rules.rules[plan.rule].override_reasons
        issued = accepted = overridden = 0
        for back in range(DAYS - 1, -1, -1):
            day = today - timedelta(days=back)
            share = plan.overridden_first + (plan.overridden_last - plan.overridden_first) * (
                (DAYS - 1 - back) / (DAYS - 1)
            )
            for n in range(chance.randint(*plan.per_day)):
                uuid = f"{plan.rule}-{back}-{n}"
                when = day + timedelta(hours=8 + n)
                hook = (SERVICE, "order-sign", f"hi-{uuid}")
                cards.append(IssuedAdvice(uuid, *hook, plan.rule, "warning", "1.0.0", when))
                issued += 1
                item: dict[str, Any] = {
                    "card": uuid,
                    "outcomeTimestamp": when + timedelta(minutes=2),
                }
                if chance.random() < share and reasons:
                    code = chance.choices(reasons, weights=range(len(reasons), 0, -1))[0]
                    data = rules.override_reasons[code]
                    system = rules.override_reason_systems[data.system]
                    reason = {"system": system, "code": code, "display": data.display}
                    item |= {"outcome": "overridden", "overrideReason": {"reason": reason}}
                    overridden += 1
                elif chance.random() < plan.accepted:
                    item |= {"outcome": "accepted", "acceptedSuggestions": [{"id": f"s-{uuid}"}]}
                    accepted += 1
                else:
                    continue
                feedback.append(
                    FeedbackRecord.from_item(
                        SERVICE, FeedbackItem.model_validate(item), client=None, received_at=when
                    )
                )
        totals[plan.rule] = (issued, accepted, overridden)
    return cards, feedback, totals


async def fill(url: str, cards: list[IssuedAdvice], feedback: list[FeedbackRecord]) -> None:
    store = Store(Database(url))
    await store.start()
    try:
        await store.write_advice(cards)
        await store.record_feedback(feedback)
    finally:
        await store.close()


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, knowledge: Knowledge
) -> Iterator[tuple[str, dict[str, tuple[int, int, int]]]]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('history') / 'store.sqlite3'}"
    today = datetime.now(UTC).date()
    cards, feedback, totals = history(knowledge, datetime.combine(today, time(), tzinfo=UTC))
    asyncio.run(fill(url, cards, feedback))

    def make_app(port: int) -> FastAPI:
        settings = make_settings(database_url=url, public_base_url=f"http://127.0.0.1:{port}")
        return create_app(settings, knowledge=knowledge)

    # The page's today is the history's, even if the test runs across midnight (UTC).
    with pytest.MonkeyPatch.context() as patch, serving(make_app) as base:
        patch.setattr(analytics_page, "_utc_today", lambda: today)
        yield base, totals


def test_a_month_of_overrides_read_at_a_glance(
    site: tuple[str, dict[str, tuple[int, int, int]]],
) -> None:
    from selenium.webdriver.common.by import By

    base, totals = site
    with chromium(1440, 1000) as browser:
        browser.get(f"{base}/analytics?period=30d")
        rows = browser.find_elements(By.CSS_SELECTOR, "tr.rule-row")
        shown = {
            row.get_attribute("data-rule"): tuple(
                int(row.get_attribute(f"data-{name}") or -1)
                for name in ("issued", "accepted", "overridden")
            )
            for row in rows
        }
        assert shown == totals
        rates = [float(row.get_attribute("data-rate") or 0) for row in rows]
        assert rates == sorted(rates, reverse=True)
        # Each rule has its chart: one rate point per day that issued cards.
        for row in rows:
            chart = row.find_element(By.CSS_SELECTOR, "svg.trend")
            assert chart.size["width"] > 100 and chart.size["height"] > 40
            assert row.find_elements(By.CSS_SELECTOR, "svg.trend circle.rate-point")
        headline = browser.find_element(By.ID, "headline").text
        top = max(totals, key=lambda rule: totals[rule][2] / totals[rule][0])
        assert f"Most overridden: {load_knowledge().rules_file.rules[top].title}" in headline
        assert serious_violations(browser) == []
        save_screenshot(browser, "analytics-history.png", "analytics-page.png")
        # The period selector, by keyboard: 7 days shows fewer cards.
        from selenium.webdriver.common.keys import Keys
        from selenium.webdriver.support.ui import Select, WebDriverWait

        Select(browser.find_element(By.ID, "period")).select_by_value("7d")
        browser.find_element(By.CSS_SELECTOR, "form.period button").send_keys(Keys.ENTER)
        WebDriverWait(browser, 30, poll_frequency=0.1).until(
            lambda d: (
                d.current_url.endswith("/analytics?period=7d")
                and d.find_elements(By.CSS_SELECTOR, '#period option[value="7d"][selected]')
            ),
            message="the 7-day page",
        )
        week = sum(
            int(r.get_attribute("data-issued") or 0)
            for r in browser.find_elements(By.CSS_SELECTOR, "tr.rule-row")
        )
        assert 0 < week < sum(t[0] for t in totals.values())
