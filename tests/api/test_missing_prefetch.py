"""Missing prefetch over HTTP: 412 when the patient cannot be had, data-missing cards otherwise.

The FHIR server here is an httpx.MockTransport; tests/integration runs the same paths against
a real FHIR server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from cds_hooks.fetch import NOT_PROVIDED
from service.app.factory import create_app
from service.clinical.knowledge import Knowledge
from service.fhir.fetchers import fetcher_factory_for
from service.observability.logs import JsonFormatter
from tests.api.test_errors import assert_outcome
from tests.conftest import TODAY, codes
from tests.conftest import make_settings as settings_for_tests

SIGN = "/cds-services/baclofen-order-sign"
EHR = "https://ehr.example.org/fhir"

Handler = Callable[[httpx.Request], httpx.Response]


@asynccontextmanager
async def service(
    knowledge: Knowledge, handler: Handler, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """The app, started and stopped as a server would, with FHIR answered by ``handler``."""
    settings.setdefault("fhir_allowed_bases", [EHR])
    settings_ = settings_for_tests(**settings)
    factory = fetcher_factory_for(settings_, transport=httpx.MockTransport(handler))
    app = create_app(settings_, knowledge=knowledge, clock=lambda: TODAY, fetcher_factory=factory)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield http
    assert factory.client._http is None  # shutdown closed the pooled client


class FromPrefetch:
    """Answers FHIR queries from a scenario's own prefetch, recording the paths asked."""

    def __init__(self, prefetch: dict[str, Any], status: int = 200) -> None:
        self.prefetch = prefetch
        self.status = status
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if self.status != 200:
            return httpx.Response(self.status, json={"resourceType": "OperationOutcome"})
        resource_type = request.url.path.removeprefix("/fhir/").split("/")[0]
        key = {
            "Patient": "patient",
            "MedicationRequest": "medications",
            "Condition": "conditions",
            "Observation": "observations",
            "AllergyIntolerance": "allergies",
        }[resource_type]
        return httpx.Response(200, json=self.prefetch[key])


def without(request: dict[str, Any], *keys: str) -> dict[str, Any]:
    prefetch = request["prefetch"]
    request["prefetch"] = {k: v for k, v in prefetch.items() if k not in keys}
    request["fhirServer"] = EHR
    return request


async def test_only_the_missing_keys_are_fetched_and_the_cards_are_the_same(
    knowledge: Knowledge, scenario: Callable[[str], dict[str, Any]]
) -> None:
    full = scenario("09")
    server = FromPrefetch(full["prefetch"])
    async with service(knowledge, server) as http:
        expected = codes((await http.post(SIGN, json=full)).json())
        assert server.paths == []
        response = await http.post(SIGN, json=without(scenario("09"), "patient", "medications"))
    assert response.status_code == 200, response.text
    assert codes(response.json()) == expected
    assert sorted(server.paths) == ["/fhir/MedicationRequest", "/fhir/Patient/pat-1"]


async def test_an_operation_outcome_in_prefetch_is_fetched_again(
    knowledge: Knowledge, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = without(scenario("09"))
    request["prefetch"]["medications"] = {"resourceType": "OperationOutcome", "issue": []}
    server = FromPrefetch(scenario("09")["prefetch"])
    async with service(knowledge, server) as http:
        response = await http.post(SIGN, json=request)
        expected = codes((await http.post(SIGN, json=scenario("09"))).json())
    assert server.paths == ["/fhir/MedicationRequest"]
    assert codes(response.json()) == expected
    assert "interaction-opioid" in expected  # tramadol is only in the medication list


def log_lines(caplog: pytest.LogCaptureFixture, message: str) -> list[dict[str, Any]]:
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(record)) for record in caplog.records]
    return [line for line in lines if line["message"] == message]


async def test_the_412_access_line_names_the_call_and_the_keys_missing(
    knowledge: Knowledge,
    scenario: Callable[[str], dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    request = without(scenario("03"), "patient", "allergies")
    async with service(knowledge, FromPrefetch({}, status=404)) as http:
        assert (await http.post(SIGN, json=request)).status_code == 412
    [access] = log_lines(caplog, "request")
    assert access["status"] == 412
    assert access["hook_instance"] == request["hookInstance"]
    assert access["unavailable"] == ["allergies", "patient"]
    assert access["fetched"] == []
    # Each failed fetch names the prefetch key it was for (and never the URL or a token).
    failures = log_lines(caplog, "FHIR fetch failed")
    assert sorted(line["prefetch_key"] for line in failures) == ["allergies", "patient"]
    assert {line["reason"] for line in failures} == {"FHIR server answered 404"}


@pytest.mark.parametrize("status", [401, 404])
async def test_a_patient_the_server_will_not_give_is_412_telling_the_log_why(
    knowledge: Knowledge,
    scenario: Callable[[str], dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    server = FromPrefetch({}, status=status)
    async with service(knowledge, server) as http:
        response = await http.post(SIGN, json=without(scenario("03"), "patient"))
    assert_outcome(response, 412, "Patient", NOT_PROVIDED)
    assert f"answered {status}" not in response.text  # the caller learns no more than that
    assert any(f"answered {status}" in str(getattr(r, "reason", "")) for r in caplog.records)


async def test_other_keys_the_server_will_not_give_become_a_data_missing_card(
    knowledge: Knowledge, scenario: Callable[[str], dict[str, Any]]
) -> None:
    server = FromPrefetch({}, status=401)
    async with service(knowledge, server) as http:
        response = await http.post(SIGN, json=without(scenario("03"), "conditions", "allergies"))
    assert response.status_code == 200, response.text
    card = next(
        c for c in response.json()["cards"] if c["source"]["topic"]["code"] == "data-missing"
    )
    assert card["indicator"] == "warning"
    assert "problem list" in card["detail"] and "allergy list" in card["detail"]
    assert card["detail"].count(NOT_PROVIDED) == 2


@pytest.mark.parametrize(
    ("fhir_server", "reason"),
    [
        ("https://evil.test/fhir", "fhirServer is not allowed for this caller"),
        ("http://ehr.example.org/fhir", "fhirServer must use https"),
    ],
)
async def test_a_fhir_server_not_allowed_is_never_contacted(
    knowledge: Knowledge, scenario: Callable[[str], dict[str, Any]], fhir_server: str, reason: str
) -> None:
    server = FromPrefetch(scenario("03")["prefetch"])
    async with service(knowledge, server, fhir_allowed_bases=EHR) as http:
        missing_patient = without(scenario("03"), "patient") | {"fhirServer": fhir_server}
        assert_outcome(await http.post(SIGN, json=missing_patient), 412, reason)
        missing_conditions = without(scenario("03"), "conditions") | {"fhirServer": fhir_server}
        response = await http.post(SIGN, json=missing_conditions)
    assert server.paths == []
    card = next(
        c for c in response.json()["cards"] if c["source"]["topic"]["code"] == "data-missing"
    )
    assert reason in card["detail"]


async def test_no_fhir_server_and_missing_keys_say_so(
    knowledge: Knowledge, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = without(scenario("03"), "observations")
    del request["fhirServer"]
    async with service(knowledge, FromPrefetch({})) as http:
        response = await http.post(SIGN, json=request)
    assert "data-missing" in codes(response.json())
    assert "no FHIR server to fetch it from" in response.text
