"""The demo's routes in process: only where the demo command mounts them, the examples moved to
the service's today, and cards rendered with every record-derived text escaped."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.api.demo.examples import Example, example_state, examples
from service.api.dependencies import services_of_app
from service.api.web.templates import render
from service.app.demo_server import demo_settings, no_fetching
from service.app.factory import create_app
from service.clinical.knowledge import Knowledge
from service.pipeline.examples import find_fixture, load_fixture
from tests.api.test_errors import assert_outcome
from tests.conftest import FIXTURES, TODAY, make_settings

LATER = TODAY + dt.timedelta(days=10)
DEMO_ROUTES = ["/demo", "/demo/examples/03-increase-60-120-mg-day", "/demo/assets/demo.js"]


@pytest.fixture
def demo_app(knowledge: Knowledge, tmp_path: Path) -> FastAPI:
    return create_app(
        demo_settings(8080, tmp_path / "demo.sqlite3"),
        knowledge=knowledge,
        clock=lambda: LATER,
        demo=True,
        fetcher_factory=no_fetching,
    )


@pytest.fixture
async def demo(demo_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=demo_app)
    async with (
        demo_app.router.lifespan_context(demo_app),
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as http,
    ):
        yield http


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "10.0.0.7"])
async def test_the_demo_answers_only_requests_for_a_loopback_name(
    demo: httpx.AsyncClient, host: str
) -> None:
    """A page that rebinds its own name to 127.0.0.1 still sends its name: refused."""
    for path in ("/demo", "/cds-services"):
        response = await demo.get(path, headers={"host": host})
        assert_outcome(response, 400, "127.0.0.1 or localhost only")
    assert (await demo.get("/demo", headers={"host": "localhost:8080"})).status_code == 200


@pytest.mark.parametrize("path", DEMO_ROUTES)
async def test_the_demo_is_not_there_outside_the_demo_command(
    client: httpx.AsyncClient, path: str
) -> None:
    assert_outcome(await client.get(path), 404, "no such endpoint")
    assert_outcome(await client.post("/demo/cards", json={"cards": []}), 404, "no such endpoint")


def test_no_setting_switches_the_demo_on(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BACLOFEN_CDS_DEMO", "BACLOFEN_CDS_DEMO_ENABLED", "BACLOFEN_CDS_ENABLE_DEMO"):
        monkeypatch.setenv(name, "true")
    app = create_app(make_settings())
    assert services_of_app(app).demo is False
    assert not [route for route in app.routes if getattr(route, "path", "").startswith("/demo")]


def test_the_demo_settings_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACLOFEN_CDS_AUTH_REQUIRED", "true")
    monkeypatch.setenv("BACLOFEN_CDS_HOST", "0.0.0.0")
    monkeypatch.setenv("BACLOFEN_CDS_DATABASE_URL", "postgresql://u:p@db.example/prod")
    monkeypatch.setenv("BACLOFEN_CDS_CORS_ORIGINS", "https://anywhere.example")
    settings = demo_settings(4321, Path("/tmp/x/demo.sqlite3"))
    assert settings.auth_required is False
    assert settings.host == "127.0.0.1"
    assert settings.public_base_url == "http://127.0.0.1:4321"
    assert settings.database_url == "sqlite+aiosqlite:////tmp/x/demo.sqlite3"
    assert settings.cors_origins == []
    assert settings.log_level == "WARNING"


async def test_the_page_lists_the_examples_and_the_products(
    demo: httpx.AsyncClient, knowledge: Knowledge
) -> None:
    response = await demo.get("/demo")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "connect-src 'self'" in policy
    keys = re.findall(r'<option value="([^"]+)">\d\d · ', response.text)
    assert keys == [example.key for example in examples()]
    assert "03-increase-60-120-mg-day" in keys
    assert "73-sandbox-dstu2-medication-order" not in keys  # DSTU2: not editable here
    products = knowledge.medications.baclofen.products
    for code in products:
        assert f'value="{code}"' in response.text
    assert '<script src="demo/assets/demo.js" defer></script>' in response.text
    assert "http" not in re.sub(r"https?://www\.w3\.org/[^\"]*", "", _tags(response.text))


def _tags(html: str) -> str:
    """src and href attributes: the page loads nothing from elsewhere."""
    return " ".join(re.findall(r'(?:src|href)="([^"]*)"', html))


@pytest.mark.parametrize(
    ("name", "media"), [("demo.js", "text/javascript"), ("demo.css", "text/css")]
)
async def test_assets_are_served_from_the_package(
    demo: httpx.AsyncClient, name: str, media: str
) -> None:
    response = await demo.get(f"/demo/assets/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert len(response.content) > 1000


@pytest.mark.parametrize("name", ["pages.css", "../app.py", "demo.html", "%2e%2e%2fapp.py"])
async def test_only_named_assets_are_served(demo: httpx.AsyncClient, name: str) -> None:
    assert (await demo.get(f"/demo/assets/{name}")).status_code == 404


async def test_an_example_starts_from_its_fixture_moved_to_today(demo: httpx.AsyncClient) -> None:
    response = await demo.get("/demo/examples/03-increase-60-120-mg-day")
    assert response.status_code == 200
    state = response.json()
    fixture = find_fixture("03")
    assert state["context"] == {"userId": "Practitioner/prac-1", "patientId": "pat-1",
                                "encounterId": "enc-1"}  # fmt: skip
    assert state["activeBaclofen"] == ["mr-328"] and state["baclofenDrafts"] == ["mr-329"]
    # Ten days later the service's clock says, so every date moved by ten days.
    assert state["drafts"][0]["authoredOn"] == "2026-12-03T09:00:00Z"
    assert fixture.request["context"]["draftOrders"]["entry"][0]["resource"]["authoredOn"] == (
        "2026-11-23T09:00:00Z"
    )
    assert state["prefetch"]["patient"]["birthDate"] == "1981-11-03"
    chart = state["chartHtml"]
    assert "Quinn Testpatient" in chart and "45 years" in chart and "80 kg" in chart
    assert "eGFR 95" in chart


async def test_an_unknown_example_is_404(demo: httpx.AsyncClient) -> None:
    assert_outcome(await demo.get("/demo/examples/99-nothing"), 404, "no example named")


def test_the_chart_escapes_record_text(knowledge: Knowledge) -> None:
    fixture = load_fixture(next(FIXTURES.glob("03-*.json")))
    request = copy.deepcopy(fixture.request)
    hostile = "<img src=x onerror=alert(1)>"
    request["prefetch"]["patient"]["name"] = [{"text": hostile}]
    request["prefetch"]["conditions"]["entry"] = [
        {"resource": {"resourceType": "Condition", "code": {"text": f"<script>{hostile}"}}}
    ]
    tampered = Example("x", "x", type(fixture)(**{**vars(fixture), "request": request}))
    _, chart = example_state(tampered, knowledge, TODAY)
    html = render("demo/chart.html", chart=chart)
    assert "<img" not in html and "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


async def test_every_example_answers_and_renders(demo: httpx.AsyncClient) -> None:
    """Each example's own hook, sent as the page sends it, gives cards the page can show."""
    for example in examples():
        state = (await demo.get(f"/demo/examples/{example.key}")).json()
        fixture = example.fixture
        request: dict[str, Any] = {
            "hook": state["hook"],
            "hookInstance": f"demo-{example.key}",
            "context": dict(state["context"]),
            "prefetch": state["prefetch"],
        }
        if state["hook"] != "patient-view":
            request["context"]["draftOrders"] = {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": r} for r in state["drafts"]],
            }
        if state["hook"] == "order-select":
            request["context"]["selections"] = state["selections"]
        answer = await demo.post(f"/cds-services/{fixture.service}", json=request)
        assert answer.status_code == 200, (example.key, answer.text)
        cards = answer.json()["cards"]
        for code, indicator in fixture.expect.get("present", {}).items():
            assert {"code": code, "indicator": indicator} in [
                {"code": c["source"]["topic"]["code"], "indicator": c["indicator"]} for c in cards
            ], example.key
        shown = await demo.post("/demo/cards", json={"cards": cards})
        assert shown.status_code == 200
        assert shown.text.count('<article class="card') == len(cards)
        suggestions = sum(len(c.get("suggestions", [])) for c in cards)
        assert shown.text.count('data-action="accept"') == suggestions


HOSTILE_CARD = {
    "uuid": 'c-1"><script>alert(1)</script>',
    "indicator": 'critical" onmouseover="alert(1)',
    "summary": "<script>alert('summary')</script>",
    "detail": "**Ordered:** <img src=x onerror=alert(1)> [x](javascript:alert(1))\n\n"
    "<div onclick=alert(1)>raw block</div>",
    "source": {
        "label": "<b>source</b>",
        "url": "javascript:alert(1)",
        "topic": {"code": "<i>rule</i>"},
    },
    "links": [
        {"label": "<u>schedule</u>", "url": "javascript:alert(1)", "type": "absolute"},
        {"label": "app", "url": "https://app.example/launch", "type": "smart"},
    ],
    "suggestions": [
        {
            "uuid": 's-1"',
            "label": "<em>Accept me</em>",
            "actions": [
                {"type": "update", "description": "<b>change</b>", "resource": {}},
                {"type": "delete", "description": "d", "resourceId": "MedicationRequest/x"},
            ],
        }
    ],
}


async def test_hostile_card_text_is_escaped(demo: httpx.AsyncClient) -> None:
    response = await demo.post("/demo/cards", json={"cards": [HOSTILE_CARD]})
    assert response.status_code == 200
    html = response.text
    for tag in ("<script", "<img", "<div onclick", "<b>", "<i>", "<u>", "<em>"):
        assert tag not in html
    assert "javascript:" not in " ".join(re.findall(r'href="([^"]*)"', html))
    assert "onmouseover" not in html and "onclick" not in html.replace("&lt;div onclick", "")
    assert "&lt;script&gt;alert(&#39;summary&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'class="card card-info"' in html  # an unknown indicator is shown as info
    assert "(smart link: not opened by the demo)" in html
    assert "https://app.example/launch" not in html


@pytest.mark.parametrize(
    "body",
    [[], {"cards": "no"}, {"cards": [1]}, {"cards": [{}] * 101}, {}],
)
async def test_not_cards_is_400(demo: httpx.AsyncClient, body: Any) -> None:
    assert_outcome(await demo.post("/demo/cards", json=body), 400, "card")


async def test_an_oversized_body_is_413(demo: httpx.AsyncClient) -> None:
    body = json.dumps({"cards": [{"summary": "x" * (6 * 1024 * 1024)}]})
    response = await demo.post("/demo/cards", content=body)
    assert response.status_code == 413


async def test_the_demo_never_fetches_from_a_fhir_server(demo: httpx.AsyncClient) -> None:
    request = copy.deepcopy(find_fixture("03").request)
    del request["prefetch"]["medications"]
    request["fhirServer"] = "http://127.0.0.1:9/fhir"
    answer = await demo.post("/cds-services/baclofen-order-sign", json=request)
    assert answer.status_code == 200
    codes = {c["source"]["topic"]["code"] for c in answer.json()["cards"]}
    assert "data-missing" in codes


def test_examples_cover_the_fixtures_the_page_can_edit() -> None:
    keys = {example.key for example in examples()}
    assert len(keys) >= len(list(FIXTURES.glob("*.json"))) - 2
    assert all(isinstance(e.fixture.evaluation_date, dt.date) for e in examples())
