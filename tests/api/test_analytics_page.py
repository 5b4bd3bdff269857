"""GET /analytics: the override analytics page agrees with GET /analytics/rules, draws each
rule's trend from the cards issued per bucket, and escapes what clients sent."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.api import analytics_page
from service.api.dependencies import services_of_app
from service.api.web.trend import PERIODS
from service.store.advice import IssuedAdvice
from tests.api.store_client import FEEDBACK, issue_cards, item
from tests.api.test_errors import assert_outcome
from tests.conftest import running

SERVICE = "baclofen-order-sign"
Scenario = Callable[[str], dict[str, Any]]
ROW = re.compile(r'<tr class="rule-row"(?P<attrs>[^>]*)>(?P<body>.*?)</tr>', re.DOTALL)
ATTR = re.compile(r'data-(\w+)="([^"]*)"')
REASON = re.compile(r'<li data-code="([^"]*)">(.*?) <span class="count">\((\d+)\)</span></li>')


def page_rows(text: str) -> list[dict[str, Any]]:
    rows = []
    for match in ROW.finditer(text):
        attrs = dict(ATTR.findall(match.group("attrs")))
        rows.append(
            {
                "service": attrs["service"],
                "rule": attrs["rule"],
                "issued": int(attrs["issued"]),
                "accepted": int(attrs["accepted"]),
                "overridden": int(attrs["overridden"]),
                "overrideRate": float(attrs["rate"]),
                "topOverrideReasons": [
                    {"code": html.unescape(code), "display": html.unescape(shown), "count": int(n)}
                    for code, shown, n in REASON.findall(match.group("body"))
                ],
                "trend": html.unescape(
                    re.search(r'<desc id="[^"]+">(.*?)</desc>', match.group("body")).group(1)  # type: ignore[union-attr]
                ),
            }
        )
    return rows


def json_link(text: str) -> str:
    return html.unescape(re.search(r'<a href="(analytics/rules\?[^"]+)">JSON</a>', text).group(1))  # type: ignore[union-attr]


def utc_today() -> date:
    return datetime.now(UTC).date()


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


async def issued(app: FastAPI, *cards: tuple[str, str, datetime]) -> None:
    """Cards as the advice recorder stores them, at chosen times: (uuid, rule, issued at)."""
    await services_of_app(app).store.write_advice(
        [
            IssuedAdvice(uuid, SERVICE, "order-sign", f"hi-{uuid}", rule, "warning", "1.0.0", when)
            for uuid, rule, when in cards
        ]
    )


async def test_the_page_shows_the_rows_of_the_json_for_its_window(
    app: FastAPI, client: httpx.AsyncClient, scenario: Scenario
) -> None:
    cards = await issue_cards(client, scenario("03"))
    cards += await issue_cards(client, scenario("03"))
    await services_of_app(app).advice_recorder.flush()
    by_rule = {c["source"]["topic"]["code"]: c for c in cards[:3]}
    await client.post(
        FEEDBACK,
        json={
            "feedback": [
                item(by_rule["titration-too-fast"]["uuid"], reason="already-tolerated"),
                item(cards[4]["uuid"], reason="monitored-setting"),
                item(by_rule["dose-above-max"]["uuid"], outcome="accepted"),
            ]
        },
    )
    before = utc_today()
    page = await client.get("/analytics", params={"period": "7d"})
    after = utc_today()  # the same day, unless the test ran across midnight (UTC)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src" not in page.headers["content-security-policy"]
    link = json_link(page.text)
    assert link in {
        f"analytics/rules?since={day - timedelta(days=6)}&until={day + timedelta(days=1)}"
        for day in (before, after)
    }
    expected = (await client.get(f"/{link}")).json()["rules"]
    shown = page_rows(page.text)
    assert len(shown) == len(expected) == 3
    without_trend = [{k: v for k, v in row.items() if k != "trend"} for row in shown]
    assert sorted(without_trend, key=lambda r: (r["service"], r["rule"])) == expected
    # The most overridden first, and said so above the table.
    assert [r["overrideRate"] for r in shown] == sorted(
        (r["overrideRate"] for r in shown), reverse=True
    )
    top = shown[0]
    assert top["overridden"] == 2 and top["issued"] == 2
    assert "Most overridden: <strong>Baclofen titration too fast</strong> (100% of 2 cards)" in (
        page.text
    )
    csv = html.unescape(re.search(r'<a href="([^"]+)">CSV</a>', page.text).group(1))  # type: ignore[union-attr]
    assert csv == f"{link}&format=csv"


async def test_each_rule_has_its_trend_by_bucket(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = date(2026, 11, 23)
    monkeypatch.setattr(analytics_page, "_utc_today", lambda: today)
    await issued(
        app,
        ("a1", "dose-above-max", at(today - timedelta(days=3), 1)),
        ("a2", "dose-above-max", at(today - timedelta(days=3), 23)),
        ("a3", "dose-above-max", at(today - timedelta(days=1))),
        ("a4", "dose-above-max", at(today, 0)),
        ("old", "dose-above-max", at(today - timedelta(days=20))),
        ("b1", "elderly", at(today - timedelta(days=2))),
    )
    await client.post(FEEDBACK, json={"feedback": [item("a1"), item("a3"), item("old")]})
    week = page_rows((await client.get("/analytics?period=7d")).text)
    dose = next(r for r in week if r["rule"] == "dose-above-max")
    assert (dose["issued"], dose["overridden"]) == (4, 2)

    def label(day: date) -> str:
        return f"{day.day} {day:%b}"

    assert dose["trend"] == (
        f"{label(today - timedelta(days=3))}: 1 of 2 overridden (50%); "
        f"{label(today - timedelta(days=1))}: 1 of 1 overridden (100%); "
        f"{label(today)}: 0 of 1 overridden (0%)"
    )
    elderly = next(r for r in week if r["rule"] == "elderly")
    assert elderly["trend"] == f"{label(today - timedelta(days=2))}: 0 of 1 overridden (0%)"
    month = page_rows((await client.get("/analytics?period=30d")).text)
    dose = next(r for r in month if r["rule"] == "dose-above-max")
    assert (dose["issued"], dose["overridden"]) == (5, 3)
    assert dose["trend"].startswith(f"{label(today - timedelta(days=20))}: 1 of 1 overridden")


async def test_the_default_period_and_every_choice(client: httpx.AsyncClient) -> None:
    page = await client.get("/analytics")
    assert page.status_code == 200
    assert '<option value="30d" selected>' in page.text
    assert "No cards were issued in this period." in page.text
    for period in PERIODS:
        response = await client.get("/analytics", params={"period": period.key})
        assert response.status_code == 200
        assert f'<option value="{period.key}" selected>' in response.text


@pytest.mark.parametrize("period", ["1y", "30", "<script>"])
async def test_an_unknown_period_is_400(client: httpx.AsyncClient, period: str) -> None:
    assert_outcome(await client.get("/analytics", params={"period": period}), 400, "period must")


async def test_what_clients_sent_is_escaped(app: FastAPI, client: httpx.AsyncClient) -> None:
    await issued(app, ("c1", "dose-above-max", at(utc_today())))
    # Reason codes are short codes (a pattern the feedback endpoint enforces); the display is
    # free text the client chose.
    hostile = item("c1", reason="x-hostile")
    hostile["overrideReason"]["reason"]["display"] = "<img src=x onerror=alert(1)>"
    assert (await client.post(FEEDBACK, json={"feedback": [hostile]})).status_code == 200
    page = (await client.get("/analytics")).text
    assert "<script" not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page_rows(page)[0]["topOverrideReasons"] == [
        {"code": "x-hostile", "display": "<img src=x onerror=alert(1)>", "count": 1}
    ]


async def test_the_stylesheet_is_served_by_the_package(client: httpx.AsyncClient) -> None:
    page = (await client.get("/analytics")).text
    assert '<link rel="stylesheet" href="assets/pages.css">' in page
    css = await client.get("/assets/pages.css")
    assert css.status_code == 200 and css.headers["content-type"] == "text/css; charset=utf-8"
    assert (await client.get("/assets/demo.js")).status_code == 404


async def test_an_unreachable_store_is_503(
    make_app: Callable[..., FastAPI], tmp_path: Path
) -> None:
    app = make_app(database_url=f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'db.sqlite3'}")
    async with running(app) as http:
        response = await http.get("/analytics")
    assert_outcome(response, 503, "analytics store is unavailable")
    assert response.headers["retry-after"] == "30"


async def test_with_authentication_on_the_page_needs_an_operator_to_turn_it_on(
    make_app: Callable[..., FastAPI],
) -> None:
    async with running(make_app(auth_required=True)) as http:
        assert (await http.get("/analytics")).status_code == 404
    async with running(make_app(auth_required=True, analytics_page=True)) as http:
        assert (await http.get("/analytics")).status_code == 200
