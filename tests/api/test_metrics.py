"""``GET /metrics``: every family the README lists counts what happened, with bounded labels.

One scenario touches each family: a hook call whose missing prefetch is fetched (one key
answered, one refused with 404), a call refused for want of a JWT, feedback, a card recorded and
a card dropped (a hook call on an app whose recorder is not running). The counters are global to
the test process, so each check compares the scrape after with the scrape before.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from service import __version__
from service.api.dependencies import services_of_app
from service.app.factory import create_app
from service.clinical.knowledge import Knowledge
from service.fhir.fetchers import fetcher_factory_for
from tests.api.store_client import FEEDBACK, SIGN, item
from tests.api.test_missing_prefetch import EHR, FromPrefetch, without
from tests.auth_support import JwksServer, client_for, make_auth_app
from tests.conftest import TODAY, running
from tests.conftest import make_settings as settings_for_tests

Scenario = Callable[[str], dict[str, Any]]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
HOOK_ROUTE = "/cds-services/{service_id}"


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(http: httpx.AsyncClient) -> tuple[str, Samples]:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    return response.text, parse(response.text)


class RefusingAllergies(FromPrefetch):
    def __call__(self, request: httpx.Request) -> httpx.Response:
        if "AllergyIntolerance" in request.url.path:
            self.paths.append(request.url.path)
            return httpx.Response(404, json={"resourceType": "OperationOutcome"})
        return super().__call__(request)


def app_fetching_from(knowledge: Knowledge, handler: FromPrefetch, database_url: str) -> FastAPI:
    settings = settings_for_tests(database_url=database_url, fhir_allowed_bases=[EHR])
    factory = fetcher_factory_for(settings, transport=httpx.MockTransport(handler))
    return create_app(settings, knowledge=knowledge, clock=lambda: TODAY, fetcher_factory=factory)


async def test_every_family_counts_a_scenario(
    knowledge: Knowledge, scenario: Scenario, make_app: Callable[..., FastAPI], tmp_path: Any
) -> None:
    request = without(scenario("03"), "conditions", "allergies")
    hook_instance = request["hookInstance"] = str(uuid.uuid4())
    handler = RefusingAllergies(scenario("03")["prefetch"])
    app = app_fetching_from(knowledge, handler, f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}")
    async with running(app) as http:
        _, before = await scrape(http)
        answer = await http.post(SIGN, json=request)
        assert answer.status_code == 200, answer.text
        cards = answer.json()["cards"]
        feedback = await http.post(FEEDBACK, json={"feedback": [item(cards[0]["uuid"])]})
        assert feedback.status_code == 200
        await services_of_app(app).advice_recorder.flush()
        assert (await http.post("/cds-services/no-such-service", json={})).status_code == 404

        async with client_for(make_auth_app(knowledge, JwksServer())) as refusing:
            assert (await refusing.post(SIGN, json=scenario("03"))).status_code == 401
        # Not started: its recorder is not running, so the cards are dropped (and counted).
        async with client_for(make_app()) as unstarted:
            assert (await unstarted.post(SIGN, json=scenario("03"))).status_code == 200

        text, after = await scrape(http)
    assert sorted(handler.paths) == ["/fhir/AllergyIntolerance", "/fhir/Condition"]

    def grew(name: str, *, by: float | None = None, **labels: str) -> bool:
        change = value(after, name, **labels) - value(before, name, **labels)
        return change == by if by is not None else change > 0

    sign = "baclofen-order-sign"
    # Two answered calls: the fetching app's and the unstarted one's.
    assert grew(
        "baclofen_cds_requests_total",
        by=2,
        route=HOOK_ROUTE,
        hook="order-sign",
        status="200",
        service=sign,
    )
    assert grew("baclofen_cds_request_seconds_count", route=HOOK_ROUTE, service=sign)
    assert grew("baclofen_cds_evaluation_seconds_count", by=2, service=sign)
    by_rule = {(card["source"]["topic"]["code"], card["indicator"]) for card in cards}
    for rule, indicator in by_rule:
        assert grew("baclofen_cds_cards_total", rule=rule, indicator=indicator, service=sign)
    assert grew("baclofen_cds_fhir_fetches_total", by=1, resource="Condition", outcome="ok")
    assert grew(
        "baclofen_cds_fhir_fetches_total", by=1, resource="AllergyIntolerance", outcome="http-404"
    )
    assert grew("baclofen_cds_fhir_fetch_seconds_count", by=1, resource="Condition")
    assert grew("baclofen_cds_jwt_rejections_total", by=1, reason="missing-token")
    assert grew(
        "baclofen_cds_feedback_total", by=1, outcome="overridden", stored="true", service=sign
    )
    assert grew("baclofen_cds_advice_records_total", by=len(cards), result="written")
    assert grew("baclofen_cds_advice_records_total", result="dropped")
    # An unknown service id is counted under its route, never as a label value of its own.
    assert grew(
        "baclofen_cds_requests_total", by=1, route=HOOK_ROUTE, service="", hook="", status="404"
    )
    assert "no-such-service" not in text
    assert hook_instance not in text and "pat-1" not in text


async def test_series_that_alerts_compare_with_exist_before_their_first_event(
    client: httpx.AsyncClient,
) -> None:
    _, samples = await scrape(client)
    for result in ("written", "dropped", "failed"):
        assert ("baclofen_cds_advice_records_total", frozenset({("result", result)})) in samples
    for reason in ("replayed", "bad-signature", "replay-check-unavailable"):
        assert ("baclofen_cds_jwt_rejections_total", frozenset({("reason", reason)})) in samples


class HeldFhirServer(FromPrefetch):
    """Answers from prefetch, but only once the test lets it: the hook call stays in flight."""

    def __init__(self, prefetch: dict[str, Any]) -> None:
        super().__init__(prefetch)
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def answer(self, request: httpx.Request) -> httpx.Response:
        self.arrived.set()
        await self.release.wait()
        return self(request)


async def test_requests_in_flight_count_the_calls_being_answered_but_not_the_scrape(
    knowledge: Knowledge, scenario: Scenario, tmp_path: Any
) -> None:
    held = HeldFhirServer(scenario("03")["prefetch"])
    settings = settings_for_tests(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'f.sqlite3'}", fhir_allowed_bases=[EHR]
    )
    factory = fetcher_factory_for(settings, transport=httpx.MockTransport(held.answer))
    app = create_app(settings, knowledge=knowledge, clock=lambda: TODAY, fetcher_factory=factory)
    async with running(app) as http:
        _, idle = await scrape(http)
        call = asyncio.create_task(http.post(SIGN, json=without(scenario("03"), "conditions")))
        await asyncio.wait_for(held.arrived.wait(), 30)
        _, busy = await scrape(http)
        held.release.set()
        assert (await call).status_code == 200
        _, done = await scrape(http)
    in_flight = "baclofen_cds_requests_in_flight"
    assert value(busy, in_flight) - value(idle, in_flight) == 1
    assert value(done, in_flight) == value(idle, in_flight)


async def test_build_info_names_the_version_and_the_knowledge_version(
    client: httpx.AsyncClient, knowledge: Knowledge
) -> None:
    _, samples = await scrape(client)
    labels = {"version": __version__, "knowledge_version": knowledge.version}
    assert value(samples, "baclofen_cds_build_info", **labels) == 1
    builds = [key for key in samples if key[0] == "baclofen_cds_build_info"]
    assert len(builds) == 1, builds


async def test_the_openapi_document_is_counted_under_its_own_route(
    client: httpx.AsyncClient,
) -> None:
    _, before = await scrape(client)
    document = await client.get("/openapi.json")
    assert document.status_code == 200 and document.json()["openapi"].startswith("3.")
    _, after = await scrape(client)
    labels = {"route": "/openapi.json", "service": "", "hook": "", "status": "200"}
    assert value(after, "baclofen_cds_requests_total", **labels) == (
        value(before, "baclofen_cds_requests_total", **labels) + 1
    )
    unmatched = {"route": "unmatched", "service": "", "hook": "", "status": "200"}
    assert value(after, "baclofen_cds_requests_total", **unmatched) == value(
        before, "baclofen_cds_requests_total", **unmatched
    )
