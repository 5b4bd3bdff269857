"""Discovery lists the three services of the contract with its prefetch keys."""

from __future__ import annotations

import httpx

from cds_hooks.prefetch import validate_template

CONTRACT = {
    "baclofen-order-select": "order-select",
    "baclofen-order-sign": "order-sign",
    "baclofen-patient-view": "patient-view",
}


async def test_discovery_lists_the_contract_services(client: httpx.AsyncClient) -> None:
    response = await client.get("/cds-services")
    assert response.status_code == 200
    services = response.json()["services"]
    assert {s["id"]: s["hook"] for s in services} == CONTRACT
    for service in services:
        assert service["title"] and service["description"]
        assert set(service["prefetch"]) == {
            "patient",
            "medications",
            "conditions",
            "observations",
            "allergies",
        }
        for template in service["prefetch"].values():
            validate_template(template)


async def test_prefetch_templates_match_the_contract(client: httpx.AsyncClient) -> None:
    prefetch = (await client.get("/cds-services")).json()["services"][0]["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert prefetch["medications"] == (
        "MedicationRequest?patient={{context.patientId}}&status=active,on-hold"
    )
    assert prefetch["conditions"] == "Condition?patient={{context.patientId}}"
    assert prefetch["allergies"] == "AllergyIntolerance?patient={{context.patientId}}"
    observations = prefetch["observations"]
    assert observations.startswith("Observation?patient={{context.patientId}}&code=")
    assert observations.endswith("&_sort=-date")
    for code in ("29463-7", "35591-7", "98979-8", "82810-3", "63895-7", "1742-6", "2345-7"):
        assert code in observations


async def test_discovery_has_no_nulls(client: httpx.AsyncClient) -> None:
    text = (await client.get("/cds-services")).text
    assert "null" not in text
