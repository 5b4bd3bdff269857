"""Small pure-ASGI middlewares (no per-request objects): security headers on every response,
and paths with a trailing slash served as without it."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        b"frame-ancestors 'none'",
    ),
    (b"strict-transport-security", b"max-age=31536000"),
]
_SECURITY_HEADER_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                # Only the names set here matter, and a response rarely sets one of them itself.
                present = {name for name, _ in headers if name in _SECURITY_HEADER_NAMES}
                if present:
                    headers.extend(pair for pair in SECURITY_HEADERS if pair[0] not in present)
                else:
                    headers.extend(SECURITY_HEADERS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TrailingSlashMiddleware:
    """``/cds-services/`` is served as ``/cds-services``, never redirected.

    Starlette's redirect for a trailing slash builds its ``Location`` from the request's Host
    header, which the caller chooses: the service would send EHRs and browsers wherever that
    header pointed. Routing the path without the slash answers the same, with nothing to
    reflect (the JWT audience ignores a trailing slash too).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            scope = dict(scope, path=path.rstrip("/") or "/")
        await self.app(scope, receive, send)
