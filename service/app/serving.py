"""What ``baclofen-cds serve`` sets up around uvicorn: the metrics directory shared by workers,
and the limits of the HTTP server (header size, read timeouts, connections, trusted proxies)."""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from service.observability.metrics import MULTIPROC_DIR_ENV
from service.settings import Settings

# Seconds in-flight requests get to finish after SIGTERM before uvicorn closes their connections.
GRACEFUL_SHUTDOWN_S = 20


@contextmanager
def worker_metrics_directory(workers: int) -> Iterator[str | None]:
    """With several workers: a new, empty ``PROMETHEUS_MULTIPROC_DIR`` for them, removed after.

    Set in this process's environment before uvicorn starts the workers, which inherit it and so
    count into files there; counts left by an earlier start would be summed in, hence a new
    directory each time (under ``TMPDIR``: an emptyDir on Kubernetes' read-only root). With one
    process nothing is set up, unless the operator gave the variable, which is then used as is.
    """
    if workers <= 1 or os.environ.get(MULTIPROC_DIR_ENV):
        yield os.environ.get(MULTIPROC_DIR_ENV)
        return
    directory = tempfile.mkdtemp(prefix="baclofen-cds-metrics-")
    os.environ[MULTIPROC_DIR_ENV] = directory
    try:
        yield directory
    finally:
        del os.environ[MULTIPROC_DIR_ENV]
        shutil.rmtree(directory, ignore_errors=True)


# --- The HTTP server's limits: what a client may hold before it is authenticated. ---------

KEEP_ALIVE_S = 5  # an idle keep-alive connection is closed after this (uvicorn's default)
# The application answers a body that is too slow with a 408 (service.api.body); the
# connection-level deadline comes a little later, for bodies nobody reads (an answer sent
# before the body arrived, a 401 say) and for clients that ignore the 408.
BODY_GRACE_S = 5.0


@functools.cache
def _timeouts() -> tuple[float, float]:
    """(header, body) read timeouts in seconds, from the settings of this worker process."""
    settings = Settings()
    return settings.header_timeout_s, settings.body_timeout_s + BODY_GRACE_S


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with read deadlines, which uvicorn does not have.

    uvicorn closes an idle keep-alive connection, but not a connection that never sends a
    complete request: a client that opens connections and sends headers a byte at a time (or
    nothing at all), or stops half-way through a body, holds a connection and its buffers
    indefinitely. Here the request line and headers must arrive within
    ``BACLOFEN_CDS_HEADER_TIMEOUT_S`` of the connection or of the request's first byte, and
    the body within ``BACLOFEN_CDS_BODY_TIMEOUT_S`` (plus a grace) of the headers; otherwise
    the connection is closed. Their size is capped by h11 (``h11_max_incomplete_event_size``,
    set from ``BACLOFEN_CDS_MAX_HEADER_BYTES``): beyond it the answer is 400.
    """

    _read_timer: asyncio.TimerHandle | None = None
    _awaiting: object = None  # the h11 state the timer waits to see left behind

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._watch_reading()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_reading()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def _watch_reading(self) -> None:
        if self.transport.is_closing():
            self._stop_timer()
            return
        state: object = self.conn.their_state
        if state is h11.IDLE and self.timeout_keep_alive_task is not None:
            state = None  # between requests: uvicorn's keep-alive timeout applies
        if state is self._awaiting:
            return  # still waiting for the same thing: the deadline stands
        self._stop_timer()
        header_s, body_s = _timeouts()
        if state is h11.IDLE:
            self._start_timer(h11.IDLE, header_s)
        elif state is h11.SEND_BODY:
            self._start_timer(h11.SEND_BODY, body_s)

    def _start_timer(self, state: object, seconds: float) -> None:
        self._awaiting = state
        self._read_timer = self.loop.call_later(seconds, self._too_slow)

    def _stop_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
        self._read_timer = None
        self._awaiting = None

    def _too_slow(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            self.logger.debug("connection closed: the request did not arrive in time")
            self.transport.close()


def uvicorn_limits(settings: Settings) -> dict[str, Any]:
    """The options of ``uvicorn.run`` that bound what clients can hold (see README: Security)."""
    return {
        "http": GuardedH11Protocol,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": KEEP_ALIVE_S,
        # X-Forwarded-For and -Proto only from the proxies named, never by default.
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips or None,
    }


def refusals(settings: Settings, workers: int) -> list[str]:
    """Why ``serve`` must not start with these settings (empty: it may).

    Configurations that would run but silently weaken a defence are refused rather than
    warned about: a warning in a start-up log is read after the incident.
    """
    problems = []
    if settings.auth_required and workers > 1 and not settings.redis_url:
        problems.append(
            f"authentication is on with {workers} workers and no BACLOFEN_CDS_REDIS_URL: each "
            "worker would keep its own JWT replay cache, so a token could be replayed against "
            "another worker; set BACLOFEN_CDS_REDIS_URL or serve with one worker"
        )
    if not settings.link_keys and (settings.auth_required or workers > 1):
        problems.append(
            "BACLOFEN_CDS_LINK_KEYS is not set: the printable schedule links on cards would be "
            "signed with a key of one process and fail on the others (and after a restart); "
            "set it to a random secret of 32 characters or more, the same on every replica"
        )
    return problems
