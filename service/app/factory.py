"""The FastAPI application."""

from __future__ import annotations

import gc
import logging
import traceback
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from cds_hooks.errors import CdsHooksError, Issue
from service import __version__
from service.api import (
    analytics,
    analytics_page,
    api_docs,
    assets,
    discovery,
    feedback,
    health,
    hooks,
    knowledge_pages,
    metrics_endpoint,
    schedule_page,
)
from service.api import openapi as openapi_document
from service.api.access import AccessMiddleware
from service.api.dependencies import attach_services
from service.api.middleware import SecurityHeadersMiddleware, TrailingSlashMiddleware
from service.api.responses import error_response, internal_error_response
from service.api.services import Services
from service.app.services import build_services, start_services
from service.clinical.knowledge import Knowledge
from service.pipeline.evaluator import FetcherFactory
from service.settings import Settings

NO_FASTAPI_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}

log = logging.getLogger("baclofen_cds")


def create_app(
    settings: Settings | None = None,
    *,
    knowledge: Knowledge | None = None,
    clock: Callable[[], date] | None = None,
    fetcher_factory: FetcherFactory | None = None,
    demo: bool = False,
) -> FastAPI:
    """The application. ``demo`` mounts the demo EHR page (``/demo``): only the ``demo``
    command sets it, never the environment, so no deployment can switch it on by mistake."""
    services = build_services(
        settings or Settings(),
        knowledge=knowledge,
        clock=clock,
        fetcher_factory=fetcher_factory,
        demo=demo,
    )
    return application(services)


def application(services: Services) -> FastAPI:
    """The application over parts already built (``build_services``)."""
    settings = services.settings

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # One stack owns every part's lifetime: each is stopped, in the reverse order of its
        # start, however far the start-up got.
        async with AsyncExitStack() as stack:
            await start_services(services, stack)
            metrics_endpoint.retire_at_shutdown(stack)
            # Everything loaded so far (knowledge, FHIR models, routes) lives as long as the
            # process: moved out of the collector's reach, a full collection takes
            # microseconds instead of about 80 ms, which otherwise stalled one request in
            # twenty.
            gc.collect()
            gc.freeze()
            try:
                yield
            finally:
                services.shutdown.begin()  # /readyz answers 503 from here on

    app = FastAPI(
        lifespan=lifespan,
        title="baclofen-cds",
        version=__version__,
        description="CDS Hooks 2.0 decision support for baclofen orders.",
        docs_url=None,
        redoc_url=None,
        # Its Location would quote the caller's Host header (TrailingSlashMiddleware instead).
        redirect_slashes=False,
        # FastAPI's own OpenTelemetry export is off, whatever the environment says: its logs
        # carry exception messages, which may quote patient data, and its spans would record
        # URLs with patient ids. The service's metrics and logs are its own
        # (service.observability.metrics, service.api.access). It also spares a provider lookup
        # on every request.
        telemetry=NO_FASTAPI_TELEMETRY,
    )
    attach_services(app, services)
    metrics_endpoint.announce_build(services.knowledge.version)

    for module in (discovery, hooks, health, knowledge_pages, schedule_page, feedback, analytics):
        app.include_router(module.router)
    app.include_router(analytics_page.router)
    app.include_router(assets.router)
    app.include_router(metrics_endpoint.router)
    if services.demo:
        from service.api.demo import routes as demo_routes
        from service.api.demo.hosts import LoopbackHostMiddleware

        app.include_router(demo_routes.router)
        app.add_middleware(LoopbackHostMiddleware)
    openapi_document.install(app)  # the CDS Hooks bodies in /openapi.json
    api_docs.install(app, settings)  # GET /docs, its assets from the installed packages

    @app.exception_handler(CdsHooksError)
    async def cds_error(_: Request, error: CdsHooksError) -> Response:
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    async def request_error(_: Request, __: RequestValidationError) -> Response:
        return error_response(CdsHooksError(400, [Issue("the request is not valid")]))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> Response:
        code = "not-found" if error.status_code == 404 else "not-supported"
        message = {404: "no such endpoint", 405: "method not allowed"}.get(
            error.status_code, "request refused"
        )
        return error_response(CdsHooksError(error.status_code, [Issue(message, code=code)]))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # The frames locate the defect; the exception's message is left out because it may
        # quote request data (a patient's value in a KeyError, say).
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error(
            "unhandled %s on %s %s\n%s",
            type(error).__name__,
            request.method,
            request.url.path,
            frames,
        )
        return internal_error_response()

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials="*" not in settings.cors_origins,
            max_age=600,
        )
    # Added after CORS, so outside it: CORS preflight answers get the security headers too.
    app.add_middleware(SecurityHeadersMiddleware)
    # Outside it: the access line and request metrics see every answer and its whole duration.
    app.add_middleware(AccessMiddleware)
    # Outermost: routes see paths without a trailing slash (never a redirect: see there).
    app.add_middleware(TrailingSlashMiddleware)
    return app
