"""Which rules an HTTP answer of the service must follow, from its method, path and status."""

from __future__ import annotations

import re

import orjson

from tests.conformance.checker import (
    ConformanceError,
    discovery_problems,
    error_problems,
    feedback_receipt_problems,
    require,
    response_problems,
)

_HOOK = re.compile(r"^/cds-services/[^/]+$")
_FEEDBACK = re.compile(r"^/cds-services/[^/]+/feedback$")
_ERROR_TYPES = ("application/fhir+json", "application/json")


def is_checked(method: str, path: str) -> bool:
    """The CDS Hooks endpoints: discovery, services and feedback (not CORS preflights)."""
    return method in ("GET", "POST") and (
        path == "/cds-services" or path.startswith("/cds-services/")
    )


def check_answer(method: str, path: str, status: int, content_type: str, content: bytes) -> None:
    """Raise ``ConformanceError`` unless the answer follows its rules."""
    if not is_checked(method, path):
        return
    what = f"{method} {path} -> {status}"
    path = path.rstrip("/") or "/"  # the service answers a path with a trailing slash as without
    media_type = content_type.split(";")[0].strip().lower()
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise ConformanceError(f"{what}: the body is not JSON: {content[:200]!r}") from None
    if not 200 <= status < 300:
        if media_type not in _ERROR_TYPES:
            raise ConformanceError(f"{what}: an error answer is {media_type!r}, not FHIR JSON")
        require(error_problems(body), f"{what} (an error: OperationOutcome)")
        return
    if status != 200:
        raise ConformanceError(f"{what}: CDS Hooks answers 200 on success")
    if media_type != "application/json":
        raise ConformanceError(f"{what}: the answer is {media_type!r}, not application/json")
    if method == "GET" and path == "/cds-services":
        require(discovery_problems(body), f"{what} (discovery)")
    elif method == "POST" and _FEEDBACK.match(path):
        require(feedback_receipt_problems(body), f"{what} (feedback receipt)")
    elif method == "POST" and _HOOK.match(path):
        require(response_problems(body), f"{what} (CDS Hooks response)")
    else:
        raise ConformanceError(f"{what}: no such CDS Hooks endpoint, yet it answered 200")
