"""Every refusal is a 4xx FHIR OperationOutcome that names the problem; never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests import factories as f

SIGN = "/cds-services/baclofen-order-sign"


def assert_outcome(response: httpx.Response, status: int, *mentions: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    text = " ".join(issue["diagnostics"] for issue in body["issue"])
    for mention in mentions:
        assert mention in text, text
    assert "Traceback" not in response.text


async def test_unknown_service_is_404(client: httpx.AsyncClient) -> None:
    assert_outcome(await client.post("/cds-services/nope", json={}), 404, "no such CDS service")


async def test_unknown_path_is_404_outcome(client: httpx.AsyncClient) -> None:
    assert_outcome(await client.get("/nowhere"), 404)


async def test_wrong_method_is_405_outcome(client: httpx.AsyncClient) -> None:
    assert_outcome(await client.delete("/cds-services"), 405)


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        SIGN, content=b'{"hook": ', headers={"content-type": "application/json"}
    )
    assert_outcome(response, 400, "not valid JSON")


async def test_empty_body_is_400(client: httpx.AsyncClient) -> None:
    assert_outcome(await client.post(SIGN, content=b""), 400, "empty")


@pytest.mark.parametrize("body", [[], "text", 3, None, [{"hook": "order-sign"}]])
async def test_body_that_is_not_an_object_is_400(client: httpx.AsyncClient, body: Any) -> None:
    assert_outcome(await client.post(SIGN, json=body), 400, "JSON object")


async def test_wrong_hook_for_the_service_is_400(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("03")
    request["hook"] = "order-select"
    assert_outcome(await client.post(SIGN, json=request), 400, "answers the order-sign hook")


@pytest.mark.parametrize("field", ["patientId", "userId", "draftOrders"])
async def test_missing_context_field_is_400_naming_it(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]], field: str
) -> None:
    request = scenario("03")
    del request["context"][field]
    assert_outcome(await client.post(SIGN, json=request), 400, f"context.{field}")


async def test_missing_hook_instance_is_400(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("03")
    del request["hookInstance"]
    assert_outcome(await client.post(SIGN, json=request), 400, "hookInstance")


async def test_invalid_fhir_in_draft_orders_is_400_naming_the_element(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("03")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    order["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = "forty"
    response = await client.post(SIGN, json=request)
    assert_outcome(response, 400, "context.draftOrders.entry[0].resource.dosageInstruction[0]")
    assert "forty" not in response.text


async def test_unknown_resource_type_in_draft_orders_is_400(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("03")
    request["context"]["draftOrders"]["entry"][0]["resource"]["resourceType"] = "Prescription"
    assert_outcome(
        await client.post(SIGN, json=request), 400, "entry[0].resource: unknown FHIR resource type"
    )


async def test_draft_orders_must_be_a_bundle(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("03")
    request["context"]["draftOrders"] = {"resourceType": "MedicationRequest"}
    assert_outcome(
        await client.post(SIGN, json=request), 400, "context.draftOrders must be a FHIR Bundle"
    )


async def test_oversize_body_is_413(client: httpx.AsyncClient) -> None:
    body = b'{"hook": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    assert_outcome(await client.post(SIGN, content=body), 413, "larger than")


async def test_oversize_body_without_content_length_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(6):
            yield b"x" * (1024 * 1024)

    assert_outcome(await client.post(SIGN, content=chunks()), 413)


async def test_prefetch_of_another_patient_is_refused(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("03")
    request["prefetch"]["patient"]["id"] = "someone-else"
    assert_outcome(await client.post(SIGN, json=request), 400, "prefetch.patient")


async def test_prefetch_value_of_the_wrong_type_is_400(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("03")
    request["prefetch"]["conditions"] = "none"
    assert_outcome(await client.post(SIGN, json=request), 400, "prefetch.conditions")
    request["prefetch"]["conditions"] = {"resourceType": "Condition"}
    assert_outcome(await client.post(SIGN, json=request), 400, "must be a Bundle")


async def test_missing_patient_without_fhir_server_is_412(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("03")
    del request["prefetch"]["patient"]
    assert_outcome(await client.post(SIGN, json=request), 412, "Patient")


async def test_selection_not_among_draft_orders_is_400(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("03")
    request["hook"] = "order-select"
    request["context"]["selections"] = ["MedicationRequest/not-there"]
    response = await client.post("/cds-services/baclofen-order-select", json=request)
    assert_outcome(response, 400, "not in context.draftOrders (selection 0)")


async def test_fhir_authorization_without_fhir_server_is_400(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("03")
    request["fhirAuthorization"] = {"access_token": "t", "token_type": "Bearer"}
    assert_outcome(await client.post(SIGN, json=request), 400, "fhirServer")


async def test_prefetch_about_another_patient_names_both_ids_and_what_to_do(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    # As HealthChain's SandboxClient sends it: a random context.patientId beside a Patient of
    # its own making.
    request = scenario("03")
    request["context"]["patientId"] = "c7d1e2f0-hc-42"
    response = await client.post(SIGN, json=request)
    assert_outcome(
        response,
        400,
        "prefetch.patient is Patient 'pat-1' but context.patientId is 'c7d1e2f0-hc-42'",
        "set context.patientId to the prefetched Patient's id",
        "leave prefetch.patient out",
    )
    assert response.json()["issue"][0]["expression"] == ["prefetch.patient.id"]


async def test_an_id_that_is_no_fhir_id_is_not_quoted_back(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("03")
    request["prefetch"]["patient"]["id"] = "<script>" + "x" * 100
    response = await client.post(SIGN, json=request)
    assert_outcome(response, 400, "prefetch.patient is Patient (not a FHIR id) but")
    assert "<script>" not in response.text


async def test_a_draft_nested_too_deeply_is_400_not_500(client: httpx.AsyncClient) -> None:
    nested: dict[str, Any] = {"url": "http://example.org/x", "valueString": "v"}
    for _ in range(400):
        nested = {"url": "http://example.org/x", "extension": [nested]}
    draft = f.med_request(f.BACLOFEN_10, [f.dosage(10)])
    draft["extension"] = [nested]
    response = await client.post(SIGN, json=f.hook_request([draft]))
    assert_outcome(response, 400, "nested too deeply")
