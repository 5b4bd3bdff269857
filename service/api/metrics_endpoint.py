"""``GET /metrics``: the Prometheus text exposition of ``service.metrics`` (unauthenticated:
operators scrape it; keep it on internal routing, README "Operating it").

With several workers (``baclofen-cds serve --workers N``) each process counts in files of its
own under ``PROMETHEUS_MULTIPROC_DIR`` (``serve`` makes a fresh directory per start), and
whichever worker answers a scrape sums them all: prometheus-client's multiprocess mode. With one
process the default registry answers, with the process and garbage-collector metrics.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from starlette.responses import Response

from service.serving import MULTIPROC_DIR_ENV

router = APIRouter()


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_DIR_ENV))


def registry() -> CollectorRegistry:
    if not multiprocess_mode():
        return REGISTRY
    # A registry per scrape, as prometheus-client prescribes: the collector reads the files.
    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
    return merged


# A plain function: FastAPI runs it in a thread, so reading the workers' files never blocks
# the event loop.
@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}}},
)
def metrics() -> Response:
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)


async def _mark_process_dead() -> None:
    # Live gauges of a stopped worker must not be summed; its counters and histograms stay
    # (they are what it counted). We define no live gauges today: this keeps that true later.
    multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def install(state: Any) -> None:
    """Shutdown work of the metrics (``app.state``): in multiprocess mode, retire this worker."""
    if multiprocess_mode():
        state.on_shutdown.append(_mark_process_dead)
