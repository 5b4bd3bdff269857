"""``GET /docs``: interactive API documentation (Swagger UI) over ``/openapi.json``, served
with every asset from the installed packages, so that it works where no CDN can be reached
(hospital networks often cannot).

Swagger UI's script and stylesheet come from the ``fastapi-offline`` package, which ships them;
the page and its start-up script are ours, so that the page runs under a Content Security
Policy that allows scripts from this service only (no inline script, no other origin).

On by default when authentication is off (local use); with authentication on only when
``BACLOFEN_CDS_API_DOCS=true``: the document describes the API, not patients, but production
need not show it.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from service.settings import Settings

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
START_PATH = "/docs/start.js"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")

# Scripts and styles from this service only; the one inline thing Swagger UI needs is styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'"
)

_START = """\
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
"""

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API</title>
<link rel="stylesheet" href="{root}{assets}/swagger-ui.css">
<link rel="icon" href="{root}{assets}/favicon.png">
</head>
<body data-openapi="{root}{openapi}">
<div id="swagger-ui"></div>
<script src="{root}{assets}/swagger-ui-bundle.js"></script>
<script src="{root}{start}"></script>
</body>
</html>
"""


def enabled(settings: Settings) -> bool:
    return settings.api_docs if settings.api_docs is not None else not settings.auth_required


def assets_directory() -> Path:
    """Where the installed Swagger UI files are; a missing one stops the start-up."""
    directory = Path(str(resources.files("fastapi_offline").joinpath("static")))
    missing = [name for name in ASSETS if not (directory / name).is_file()]
    if missing:
        raise RuntimeError(f"Swagger UI files missing from fastapi-offline: {missing}")
    return directory


def install(app: FastAPI, settings: Settings) -> None:
    if not enabled(settings):
        return
    app.mount(ASSETS_PATH, StaticFiles(directory=assets_directory()), name="api-docs-assets")
    openapi = app.openapi_url or "/openapi.json"

    @app.get(DOCS_PATH, include_in_schema=False)
    async def api_docs(request: Request) -> Response:
        root = escape(request.scope.get("root_path", ""))
        page = _PAGE.format(
            title=escape(app.title),
            root=root,
            assets=ASSETS_PATH,
            openapi=openapi,
            start=START_PATH,
        )
        return HTMLResponse(page, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})

    @app.get(START_PATH, include_in_schema=False)
    async def api_docs_start() -> Response:
        return Response(_START, media_type="text/javascript")
