"""Missing prefetch fetched from a real FHIR server: same cards, the token, failures in time.

Every scenario's data is loaded into its own space of the test FHIR server (conftest), and the
scenario is sent with all, some and none of its prefetch keys: the cards must not change.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from cds_hooks.fetch import NOT_PROVIDED, check_answer, expected_answer
from cds_hooks.prefetch import render_template
from service.app.factory import create_app
from service.cli.main import main
from service.clinical.knowledge import Knowledge
from service.observability.logs import JsonFormatter
from service.pipeline.examples import Fixture, load_fixture
from tests.api.test_errors import assert_outcome
from tests.conftest import FIXTURES, codes, scenario_files
from tests.conftest import make_settings as settings_for_tests
from tests.integration.conftest import FhirTestServer, resources_of

Cards = list[tuple[str, str, str]]

SIGN = "/cds-services/baclofen-order-sign"
BUDGET_S = 0.5
SLACK_S = 3.0  # a loaded 2-core machine; the slow server answers only after 5 s


def logged_reasons(caplog: pytest.LogCaptureFixture) -> set[str]:
    """What the service's log says of failed fetches (the caller is told only NOT_PROVIDED)."""
    failed = [r for r in caplog.records if r.getMessage() == "FHIR fetch failed"]
    return {str(getattr(r, "reason", "")) for r in failed}


def cards(body: dict[str, Any]) -> Cards:
    return [
        (card["source"]["topic"]["code"], card["indicator"], card["summary"])
        for card in body["cards"]
    ]


@asynccontextmanager
async def service(
    knowledge: Knowledge, fixture: Fixture, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The app started as a server starts it (lifespan: the pooled FHIR client)."""
    app = create_app(
        settings_for_tests(**settings),
        knowledge=knowledge,
        clock=lambda: fixture.evaluation_date,
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield http


def call(fixture: Fixture, base: str | None, keep: tuple[str, ...], token: str | None) -> Any:
    request = json.loads(json.dumps(fixture.request))
    request["prefetch"] = {k: v for k, v in request["prefetch"].items() if k in keep}
    if base is not None:
        request["fhirServer"] = base
    if token is not None:
        request["fhirAuthorization"] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "baclofen-cds",
        }
    return request


KEYS = ("patient", "medications", "conditions", "observations", "allergies")
SOME = ("medications", "allergies")


def _sends_every_key(path: Path) -> bool:
    """Examples that leave a key out on purpose (to show what the service says then) have no
    full answer to compare with."""
    sent = load_fixture(path).request.get("prefetch") or {}
    return all(isinstance(sent.get(key), dict) for key in KEYS)


@pytest.mark.parametrize(
    "path", [p for p in scenario_files() if _sends_every_key(p)], ids=lambda p: p.stem
)
async def test_cards_are_the_same_with_all_some_or_no_prefetch(
    fhir_server: FhirTestServer, knowledge: Knowledge, path: Path
) -> None:
    fixture = load_fixture(path)
    token = f"token-{path.stem}"
    # One entry a page, so every list of more than one is read over several pages.
    base = fhir_server.space(
        path.stem, resources_of(fixture.request["prefetch"]), token=token, page_size=1
    )
    url = f"/cds-services/{fixture.service}"
    async with service(knowledge, fixture) as http:
        full = await http.post(url, json=call(fixture, base, KEYS, token))
        assert full.status_code == 200, full.text
        assert fhir_server.counts(path.stem)["requests"] == 0  # all sent: nothing fetched
        for keep in (SOME, ()):
            response = await http.post(url, json=call(fixture, base, keep, token))
            assert response.status_code == 200, response.text
            assert cards(response.json()) == cards(full.json()), f"with prefetch keys {keep}"
    counts = fhir_server.counts(path.stem)
    assert counts["requests"] >= 3 + 5
    assert counts["authorized"] == counts["requests"]  # the token reached the server


async def test_discovery_templates_render_to_queries_the_server_answers(
    fhir_server: FhirTestServer, knowledge: Knowledge
) -> None:
    fixture = load_fixture(FIXTURES / "13-patient-view-cirrhosis-without-liver-tests.json")
    base = fhir_server.space("discovery", resources_of(fixture.request["prefetch"]))
    async with service(knowledge, fixture) as http:
        services = (await http.get("/cds-services")).json()["services"]
    context = fixture.request["context"]
    asked = 0
    for descriptor in services:
        for key, template in descriptor["prefetch"].items():
            query = render_template(template, context)
            response = httpx.get(f"{base}/{query}", headers={"Accept": "application/fhir+json"})
            assert response.status_code == 200, (key, response.text)
            check_answer(response.json(), expected_answer(query))
            if key != "patient":
                assert response.json().get("entry") or key in ("allergies", "observations")
            asked += 1
    assert asked == 15


async def test_a_wrong_token_is_412_for_the_patient_and_data_missing_otherwise(
    fhir_server: FhirTestServer, knowledge: Knowledge, caplog: pytest.LogCaptureFixture
) -> None:
    fixture = load_fixture(FIXTURES / "03-increase-60-120-mg-day.json")
    resources = resources_of(fixture.request["prefetch"])
    base = fhir_server.space("wrong-token", resources, token="the-right-one")
    async with service(knowledge, fixture) as http:
        response = await http.post(SIGN, json=call(fixture, base, (), "a-wrong-one"))
        assert_outcome(response, 412, "Patient", NOT_PROVIDED)
        response = await http.post(SIGN, json=call(fixture, base, ("patient",), "a-wrong-one"))
    assert response.status_code == 200
    assert codes(response.json())["data-missing"] == "warning"
    assert response.text.count(NOT_PROVIDED) == 4
    assert "answered 401" not in response.text
    assert logged_reasons(caplog) == {"FHIR server answered 401"}
    assert fhir_server.counts("wrong-token")["authorized"] == 0


async def test_a_patient_the_server_does_not_have_is_412(
    fhir_server: FhirTestServer, knowledge: Knowledge, caplog: pytest.LogCaptureFixture
) -> None:
    fixture = load_fixture(FIXTURES / "03-increase-60-120-mg-day.json")
    base = fhir_server.space("empty")
    async with service(knowledge, fixture) as http:
        response = await http.post(SIGN, json=call(fixture, base, (), None))
    assert_outcome(response, 412, "Patient", NOT_PROVIDED)
    assert "FHIR server answered 404" in logged_reasons(caplog)


@pytest.mark.parametrize("server", ["slow", "dead"])
async def test_a_slow_or_dead_server_fails_within_the_budget_and_never_500(
    fhir_server: FhirTestServer,
    dead_fhir_server: str,
    knowledge: Knowledge,
    server: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fixture = load_fixture(FIXTURES / "03-increase-60-120-mg-day.json")
    resources = resources_of(fixture.request["prefetch"])
    if server == "slow":
        base = fhir_server.space("slow", resources, delay_ms=5000)
        reason = f"timed out after {BUDGET_S:g} s"
    else:
        base, reason = dead_fhir_server, "connection refused"
    async with service(knowledge, fixture, fhir_timeout_s=BUDGET_S) as http:
        started = time.perf_counter()
        response = await http.post(SIGN, json=call(fixture, base, (), None))
        assert time.perf_counter() - started < BUDGET_S + SLACK_S
        assert_outcome(response, 412, "Patient", NOT_PROVIDED)
        assert reason in logged_reasons(caplog)

        started = time.perf_counter()
        response = await http.post(SIGN, json=call(fixture, base, ("patient",), None))
        assert time.perf_counter() - started < BUDGET_S + SLACK_S
    assert response.status_code == 200, response.text
    card = next(
        c for c in response.json()["cards"] if c["source"]["topic"]["code"] == "data-missing"
    )
    assert card["detail"].count(NOT_PROVIDED) == 4
    # The checks that had their data still ran.
    assert "dose-above-max" in codes(response.json())


async def test_pages_beyond_the_cap_are_reported_not_silently_dropped(
    fhir_server: FhirTestServer, knowledge: Knowledge
) -> None:
    fixture = load_fixture(FIXTURES / "01-new-start-5-mg-tid-not-pregnant.json")
    resources = resources_of(fixture.request["prefetch"])  # three observations
    base = fhir_server.space("paged", resources, page_size=1)
    keep = ("patient", "medications", "conditions", "allergies")
    async with service(knowledge, fixture, fhir_max_pages=2) as http:
        response = await http.post(SIGN, json=call(fixture, base, keep, None))
    assert response.status_code == 200
    assert "more than 2 pages of results; only the first 2 were read" in response.text


async def test_the_token_and_the_patient_appear_in_no_log(
    fhir_server: FhirTestServer, knowledge: Knowledge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fixture = load_fixture(FIXTURES / "09-tramadol.json")
    token = "tok-must-not-be-logged-7f3a"
    base = fhir_server.space("logs", resources_of(fixture.request["prefetch"]), token=token)
    async with service(knowledge, fixture) as http:
        ok = await http.post(SIGN, json=call(fixture, base, (), token))
        refused = await http.post(SIGN, json=call(fixture, base, ("patient",), token + "-x"))
    assert ok.status_code == refused.status_code == 200
    assert fhir_server.counts("logs")["authorized"] == 5
    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "FHIR fetch failed" in logged  # the 401s were logged...
    assert token not in logged  # ...without the token
    assert "pat-1" not in logged and "Quinn" not in logged


def test_the_command_line_fetches_what_is_missing(
    fhir_server: FhirTestServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = FIXTURES / "03-increase-60-120-mg-day.json"
    fixture = load_fixture(path)
    base = fhir_server.space("cli", resources_of(fixture.request["prefetch"]), token="cli-tok")
    document = json.loads(path.read_text())
    document["request"] = call(fixture, base, (), "cli-tok")
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps(document))
    assert main(["evaluate", str(request_file)]) == 0
    got = codes(json.loads(capsys.readouterr().out))
    assert got == {
        "dose-above-max": "critical",
        "titration-too-fast": "warning",
        "tablet-strength": "info",
    }
    assert fhir_server.counts("cli")["authorized"] == 5
