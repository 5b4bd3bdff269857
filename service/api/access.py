"""One access line and the request metrics for every HTTP request (a small pure-ASGI middleware).

Each request gets an id: the caller's ``X-Request-ID`` when it is a short safe token (a load
balancer's or the EHR's, so that their logs join ours), else a new one; it is echoed in the
response and attached to every log line the request causes
(``service.observability.logs.REQUEST_ID``).

The line holds the method, the route template, the path without its query string (the schedule
page's query describes a schedule), the status and the duration. Routes add their own fields
with ``annotate`` (the hook route: hookInstance, rule codes, prefetch keys fetched or missing);
nothing from bodies, headers or query strings is logged. Metric labels are the route template,
and the service and hook only for service ids that exist: an unknown id in a URL must not
create a time series.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.observability.logs import REQUEST_ID
from service.observability.metrics import IN_FLIGHT, REQUEST_SECONDS, REQUESTS
from service.pipeline.services import SERVICES

log = logging.getLogger("baclofen_cds.access")

_FIELDS = "baclofen_cds.access"  # the scope key where routes leave their fields
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Probes and scrapes arrive every few seconds: while they succeed they are logged at DEBUG.
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
UNMATCHED = "unmatched"  # the route label of requests no route answered (404s, mostly)
MAX_PATH_CHARS = 200
METRICS_PATH = "/metrics"


def annotate(request: Request, **fields: Any) -> None:
    """Add fields to this request's access line (only what may be logged: no patient data)."""
    target = request.scope.get(_FIELDS)
    if target is not None:
        target.update(fields)


def request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text: str = value.decode("latin-1")
            if _SAFE_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class AccessMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope)
        fields: dict[str, Any] = {}
        scope[_FIELDS] = fields
        status = 500  # what the caller gets if the app raises before answering
        token = REQUEST_ID.set(request_id)
        # A scrape would always find itself in flight: it is left out.
        in_flight = IN_FLIGHT if scope["path"] != METRICS_PATH else None
        if in_flight is not None:
            in_flight.inc()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            try:
                self._finish(scope, request_id, status, time.perf_counter() - started, fields)
            finally:
                REQUEST_ID.reset(token)
                if in_flight is not None:
                    in_flight.dec()

    @staticmethod
    def _finish(
        scope: Scope, request_id: str, status: int, seconds: float, fields: dict[str, Any]
    ) -> None:
        route = getattr(scope.get("route"), "path", None) or UNMATCHED
        service_id = scope.get("path_params", {}).get("service_id")
        service = SERVICES.get(service_id) if isinstance(service_id, str) else None
        service_label = service.id if service else ""
        REQUESTS.labels(
            route=route, service=service_label, hook=service.hook if service else "", status=status
        ).inc()
        REQUEST_SECONDS.labels(route=route, service=service_label).observe(seconds)
        quiet = route in _QUIET_ROUTES and status < 400
        log.log(
            logging.DEBUG if quiet else logging.INFO,
            "request",
            extra={
                "request_id": request_id,
                "method": scope["method"],
                "route": route,
                "path": scope["path"][:MAX_PATH_CHARS],
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                **({"service": service.id, "hook": service.hook} if service else {}),
                **fields,
            },
        )
