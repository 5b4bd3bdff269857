"""JSON responses, encoded with orjson, and OperationOutcome error responses."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from cds_hooks.errors import CdsHooksError, Issue, operation_outcome
from service.api.middleware import SECURITY_HEADERS


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class FhirJsonResponse(JsonResponse):
    media_type = "application/fhir+json"


def error_response(error: CdsHooksError) -> Response:
    return FhirJsonResponse(error.outcome(), status_code=error.status, headers=error.headers)


def internal_error_response() -> Response:
    # Deliberately says nothing about the failure: details go to the log, not to the caller.
    body = operation_outcome([Issue("internal error; the request was logged", code="exception")])
    # Starlette sends this from outside every middleware, so the security headers are added
    # here rather than by SecurityHeadersMiddleware.
    headers = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
    return FhirJsonResponse(body, status_code=500, headers=headers)
