"""Static files the pages load (stylesheet, the demo's script), read from the package.

Only the files named here are served: a request names a key of ``PUBLIC`` or ``DEMO``, never
a path, so nothing else of the package can be read through these routes.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from starlette.responses import Response

from cds_hooks.errors import not_found

CSS = "text/css; charset=utf-8"
JS = "text/javascript; charset=utf-8"
PUBLIC = {"pages.css": CSS}  # /assets/{name}: every page
DEMO = {"demo.js": JS, "demo.css": CSS}  # /demo/assets/{name}: only where the demo is on


@cache
def _content(name: str) -> bytes:
    return (files("service.api.web") / "static" / name).read_bytes()


def asset_response(name: str, served: dict[str, str]) -> Response:
    media_type = served.get(name)
    if media_type is None:
        raise not_found(f"no asset named {name!r}")
    return Response(_content(name), media_type=media_type)
