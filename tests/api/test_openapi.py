"""/openapi.json describes the CDS Hooks bodies precisely, from cds_hooks/schemas."""

from __future__ import annotations

from typing import Any

import httpx
from jsonschema import Draft202012Validator

from tests.factories import hook_request, med_request


async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def resolved(document: dict[str, Any], name: str) -> Draft202012Validator:
    """A validator for one component, its references resolved inside the document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return Draft202012Validator(schema)


async def test_hook_call_has_a_request_body_per_hook(client: httpx.AsyncClient) -> None:
    doc = await document(client)
    operation = doc["paths"]["/cds-services/{service_id}"]["post"]
    assert operation["requestBody"]["required"] is True
    assert operation["parameters"][0]["schema"]["enum"] == [
        "baclofen-order-select",
        "baclofen-order-sign",
        "baclofen-patient-view",
    ]
    assert set(operation["responses"]) == {"200", "400", "401", "404", "408", "412", "413", "503"}
    variants = doc["components"]["schemas"]["CdsRequest"]["oneOf"]
    assert len(variants) == 3
    validator = resolved(doc, "CdsRequest")
    for hook in ("order-sign", "order-select", "patient-view"):
        request = hook_request([med_request()], hook=hook)
        assert not list(validator.iter_errors(request)), hook
    # A context that does not fit its hook is not described as valid.
    wrong = hook_request(hook="order-sign")
    del wrong["context"]["draftOrders"]
    assert list(validator.iter_errors(wrong))


async def test_answers_are_described(client: httpx.AsyncClient) -> None:
    doc = await document(client)
    hook = doc["paths"]["/cds-services/{service_id}"]["post"]["responses"]
    assert hook["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CdsResponse"
    }
    assert hook["412"]["content"]["application/fhir+json"]["schema"] == {
        "$ref": "#/components/schemas/OperationOutcome"
    }
    feedback = doc["paths"]["/cds-services/{service_id}/feedback"]["post"]
    assert feedback["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CdsFeedback"
    }
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    response = (await client.post("/cds-services/baclofen-order-sign", json=hook_request())).json()
    assert not list(resolved(doc, "CdsResponse").iter_errors(response))
