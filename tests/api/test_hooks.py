"""The three hooks answer well-formed CDS Hooks 2.0 responses."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest

from tests.conftest import PUBLIC_BASE_URL, codes

SIGN = "/cds-services/baclofen-order-sign"


def card_for(body: dict[str, Any], rule: str) -> dict[str, Any]:
    card: dict[str, Any] = next(c for c in body["cards"] if c["source"]["topic"]["code"] == rule)
    return card


def order_at(request: dict[str, Any], daily_mg: float) -> dict[str, Any]:
    """The first draft set to ``daily_mg`` as one tablet dose three times daily... or once."""
    draft = request["context"]["draftOrders"]["entry"][0]["resource"]
    dosage = draft["dosageInstruction"][0]
    dosage["timing"] = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}
    dosage["doseAndRate"][0]["doseQuantity"]["value"] = daily_mg
    return request


async def test_101_mg_per_day_gives_dose_above_max(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    response = await client.post(SIGN, json=order_at(scenario("03"), 101))
    assert response.status_code == 200
    body = response.json()
    assert codes(body)["dose-above-max"] == "critical"
    card = card_for(body, "dose-above-max")
    assert card["summary"] == "Baclofen 101 mg/day exceeds the 100 mg/day maximum"
    assert "101 mg/day" in card["detail"]
    assert card["overrideReasons"]
    uuid.UUID(card["uuid"])


async def test_100_mg_per_day_is_not_above_max(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    body = (await client.post(SIGN, json=order_at(scenario("03"), 100))).json()
    assert "dose-above-max" not in codes(body)
    assert codes(body)["dose-above-label"] == "warning"


async def test_request_without_baclofen_answers_no_cards(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    response = await client.post(SIGN, json=scenario("14"))
    assert response.status_code == 200
    assert response.json() == {"cards": []}


async def test_order_select_evaluates_only_the_selection(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = order_at(scenario("03"), 120)
    request["hook"] = "order-select"
    ibuprofen = scenario("14")["context"]["draftOrders"]["entry"][0]
    request["context"]["draftOrders"]["entry"].append(ibuprofen)
    url = "/cds-services/baclofen-order-select"

    request["context"]["selections"] = ["MedicationRequest/mr-369"]
    assert (await client.post(url, json=request)).json() == {"cards": []}

    request["context"]["selections"] = ["MedicationRequest/mr-329"]
    response = await client.post(url, json=request)
    assert response.status_code == 200
    card = card_for(response.json(), "dose-above-max")
    assert card["summary"] == "Baclofen 120 mg/day exceeds the 100 mg/day maximum"
    assert card["indicator"] == "critical"
    uuid.UUID(card["uuid"])


async def test_patient_view_reviews_active_orders(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    response = await client.post("/cds-services/baclofen-patient-view", json=scenario("13"))
    assert response.status_code == 200
    body = response.json()
    assert codes(body) == {"monitoring-hepatic": "info"}
    card = card_for(body, "monitoring-hepatic")
    assert card["summary"].endswith("check liver tests")
    assert card["source"]["url"] == f"{PUBLIC_BASE_URL}/knowledge/rules/monitoring-hepatic"
    [suggestion] = card["suggestions"]
    assert suggestion["actions"][0]["resource"]["resourceType"] == "ServiceRequest"
    uuid.UUID(card["uuid"])


async def test_sandbox_style_draft_without_intent_and_bundle_type_is_accepted(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = order_at(scenario("03"), 120)
    bundle = request["context"]["draftOrders"]
    del bundle["type"]
    draft = bundle["entry"][0]["resource"]
    del draft["intent"]
    draft["category"] = {"coding": [{"code": "outpatient"}]}
    response = await client.post(SIGN, json=request)
    assert response.status_code == 200, response.text
    card = next(
        c for c in response.json()["cards"] if c["source"]["topic"]["code"] == "dose-above-max"
    )
    resource = card["suggestions"][0]["actions"][0]["resource"]
    MedicationRequest.model_validate(resource)  # repaired: a valid R4 update
    assert resource["intent"] == "order"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_health_endpoints(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.json()["status"] in ("ok", "ready")


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/cds-services"),
        await client.post("/cds-services/x", json={}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"


async def test_cors_preflight_for_a_configured_origin(make_app: Callable[..., Any]) -> None:
    app = make_app(cors_origins="https://sandbox.cds-hooks.org")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        response = await http.options(
            SIGN,
            headers={
                "Origin": "https://sandbox.cds-hooks.org",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
        other = await http.get("/cds-services", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_rule_page_explains_a_rule(client: httpx.AsyncClient) -> None:
    response = await client.get("/knowledge/rules/dose-above-max")
    assert response.status_code == 200
    assert "100 mg/day" in response.text and "000" in response.text
    assert (await client.get("/knowledge/rules/nope")).status_code == 404
