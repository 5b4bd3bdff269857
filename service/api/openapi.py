"""The OpenAPI document: the CDS Hooks bodies described by the schemas in ``cds_hooks/schemas``.

The hook and feedback routes read their raw bodies themselves (for the size limit and for a 400
that names the field), so FastAPI sees no request model and would describe free-form objects.
This module completes the generated document instead of changing the routes: the request and
response bodies of discovery, the services and feedback, the three service ids, and the
OperationOutcome of every error. The same schemas check every answer in the tests, so the
document cannot drift from what the service is tested to send.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from cds_hooks import schemas
from service.pipeline.services import SERVICES

# Component name of each schema; its $defs become "<name>_<def>".
COMPONENTS = {
    schemas.REQUEST: "CdsRequest",
    schemas.RESPONSE: "CdsResponse",
    schemas.DISCOVERY: "CdsDiscovery",
    schemas.FEEDBACK: "CdsFeedback",
    schemas.FEEDBACK_RECEIPT: "FeedbackReceipt",
    schemas.OPERATION_OUTCOME: "OperationOutcome",
}

HOOK_PATH = "/cds-services/{service_id}"
FEEDBACK_PATH = "/cds-services/{service_id}/feedback"

_ERRORS = {
    "400": (
        "Malformed JSON, a wrong hook, a missing context field, invalid FHIR in draftOrders, "
        "a prefetched Patient other than context.patientId's"
    ),
    "401": "A missing or unacceptable JWT (no detail given)",
    "404": "No such service",
    "412": "The Patient could be obtained neither from prefetch nor from the FHIR server",
    "413": "The body is larger than the configured limit",
    "503": "The store is unavailable; sending the same feedback again later is safe",
    "503-hook": "The checks did not finish within the evaluation time budget: nothing checked",
    "408": "The request body did not arrive within the body read timeout",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _rewrite_refs(value: Any, prefix: str) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                f"#/components/schemas/{prefix}_{item.removeprefix('#/$defs/')}"
                if key == "$ref" and isinstance(item, str) and item.startswith("#/$defs/")
                else _rewrite_refs(item, prefix)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_rewrite_refs(item, prefix) for item in value]
    return value


def components() -> dict[str, Any]:
    """Every schema as OpenAPI 3.1 components (JSON Schema 2020-12, refs made document-wide)."""
    result: dict[str, Any] = {}
    for schema_name, component in COMPONENTS.items():
        schema = schemas.load(schema_name)
        definitions = schema.pop("$defs", {})
        for key in ("$schema", "$id"):
            schema.pop(key, None)
        result[component] = _rewrite_refs(schema, component)
        for name, definition in definitions.items():
            result[f"{component}_{name}"] = _rewrite_refs(definition, component)
    return result


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/fhir+json": {"schema": _ref("OperationOutcome")}},
    }


def _ok(description: str, component: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(component)}},
    }


def _body(description: str, component: str) -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": _ref(component)}},
    }


def _service_id_parameter() -> dict[str, Any]:
    return {
        "name": "service_id",
        "in": "path",
        "required": True,
        "description": "The service's id from discovery (any other answers 404)",
        "schema": {"type": "string", "enum": sorted(SERVICES)},
    }


def describe_cds_hooks(document: dict[str, Any]) -> None:
    """Complete a generated document in place."""
    document.setdefault("components", {}).setdefault("schemas", {}).update(components())
    paths = document["paths"]
    # Every refusal is an OperationOutcome (the exception handlers of service/app.py), and a
    # validation error is answered 400, not 422. The CDS Hooks operations list theirs below.
    for operations in paths.values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses["4XX"] = _error("Refused; the OperationOutcome says why")
    for name in ("HTTPValidationError", "ValidationError"):
        document["components"]["schemas"].pop(name, None)

    paths["/cds-services"]["get"]["responses"] = {
        "200": _ok("The services and their prefetch templates", "CdsDiscovery"),
        "401": _error(_ERRORS["401"]),
    }
    hook = paths[HOOK_PATH]["post"]
    hook["parameters"] = [_service_id_parameter()]
    hook["requestBody"] = _body(
        "A CDS Hooks 2.0 request for the service's hook (the hook must match the service)",
        "CdsRequest",
    )
    hook["responses"] = {
        "200": _ok("Cards (possibly none)", "CdsResponse"),
        **{code: _error(_ERRORS[code]) for code in ("400", "401", "404", "408", "412", "413")},
        "503": _error(_ERRORS["503-hook"]),
    }
    feedback = paths[FEEDBACK_PATH]["post"]
    feedback["parameters"] = [_service_id_parameter()]
    feedback["requestBody"] = _body("What became of the cards", "CdsFeedback")
    feedback["responses"] = {
        "200": _ok("Each item, stored or a duplicate", "FeedbackReceipt"),
        **{code: _error(_ERRORS[code]) for code in ("400", "401", "404", "408", "413", "503")},
    }


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            describe_cds_hooks(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    _serve_as_api_route(app)


def _serve_as_api_route(app: FastAPI) -> None:
    # FastAPI serves the document from a plain Starlette route, which leaves no route template
    # in the request scope: the access line and the request metrics would call it "unmatched".
    # The same document, served from a route of the application's own kind.
    path = app.openapi_url
    if path is None:
        return
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != path]

    @app.get(path, include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())
