"""``GET /metrics``: the Prometheus text exposition of ``service.observability.metrics``
(unauthenticated: operators scrape it; keep it on internal routing, README "Operating it").

With several workers (``baclofen-cds serve --workers N``) each process counts in files of its
own under ``PROMETHEUS_MULTIPROC_DIR`` (``serve`` makes a fresh directory per start), and
whichever worker answers a scrape sums them all: prometheus-client's multiprocess mode. With one
process the default registry answers, with the process and garbage-collector metrics.

Live gauges (in-flight requests, the advice queue) must count only workers that exist: a worker
retires its files when it shuts down, and a scrape retires those of workers that died without
shutting down (killed, out of memory), whose last values would otherwise be summed forever.
"""

from __future__ import annotations

import contextlib
import os
from contextlib import AsyncExitStack
from pathlib import Path

from fastapi import APIRouter
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from starlette.responses import Response

from service import __version__
from service.observability.metrics import MULTIPROC_DIR_ENV, set_build_info

router = APIRouter()


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_DIR_ENV))


def registry() -> CollectorRegistry:
    if not multiprocess_mode():
        return REGISTRY
    retire_stopped_workers(Path(os.environ[MULTIPROC_DIR_ENV]))
    # A registry per scrape, as prometheus-client prescribes: the collector reads the files.
    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
    return merged


def retire_stopped_workers(directory: Path) -> None:
    """Remove the live-gauge files of processes that no longer exist.

    The files are named ``gauge_live<mode>_<pid>.db`` (prometheus-client's multiprocess layout);
    what ``multiprocess.mark_process_dead`` does for a worker that can no longer call it. Two
    workers may scrape at once: a file already gone is fine.
    """
    for path in directory.glob("gauge_live*_*.db"):
        pid = path.stem.rpartition("_")[2]
        if pid.isdigit() and not _process_exists(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, alive
    return True


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
    # (they are what it counted).
    multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def announce_build(knowledge_version: str) -> None:
    """The build information: this package's version and its knowledge base's."""
    set_build_info(__version__, knowledge_version)


def retire_at_shutdown(stack: AsyncExitStack) -> None:
    """In multiprocess mode, this worker's live gauges are retired when ``stack`` closes."""
    if multiprocess_mode():
        stack.push_async_callback(_mark_process_dead)
