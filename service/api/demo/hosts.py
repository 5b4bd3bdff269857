"""The demo answers only requests addressed to a loopback name.

It listens on 127.0.0.1 with authentication off. A web page can still reach such a server by
rebinding its own domain name to 127.0.0.1 (DNS rebinding), but the browser then sends that
domain in ``Host``: refusing every other name closes that door.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from cds_hooks.errors import bad_request
from service.api.responses import error_response

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost"})


def _host_name(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host: str = value.decode("latin-1").strip().lower()
            return host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return ""


class LoopbackHostMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _host_name(scope) not in LOOPBACK_NAMES:
            refusal = bad_request("the demo answers requests for 127.0.0.1 or localhost only")
            await error_response(refusal)(scope, receive, send)
            return
        await self.app(scope, receive, send)
