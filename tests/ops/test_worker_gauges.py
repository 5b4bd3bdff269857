"""The gauges with ``serve --workers 2``: any worker's scrape reports the container's total, and
a worker that dies stops counting.

Hook calls are held in flight by a FHIR server of this test that answers only when told; the
advice queue is held full by a write lock the test takes on the SQLite store. Waits are on
events (the FHIR server counting its requests), never on the clock.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psutil

from service import __version__
from service.clinical.knowledge import Knowledge
from service.store.recorder import DEFAULT_CAPACITY
from tests.ops.test_workers import metric
from tests.servers import Server, serving

Scenario = Callable[[str], dict[str, Any]]
SIGN = "/cds-services/baclofen-order-sign"
HELD_CALLS = 6
WAIT_S = 60  # generous: a loaded 2-core machine


class HoldingFhirServer:
    """Answers every FHIR search with an empty Bundle, once ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.arrived = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with outer._lock:
                    outer.arrived += 1
                outer.release.wait(WAIT_S)
                body = json.dumps({"resourceType": "Bundle", "type": "searchset"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, *args: Any) -> None:
                pass  # a worker killed mid-call closes its connection: expected here

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/fhir"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + WAIT_S
        while self.arrived < count:
            assert time.monotonic() < deadline, f"{self.arrived} of {count} calls arrived"
            time.sleep(0.05)

    @contextmanager
    def running(self) -> Iterator[HoldingFhirServer]:
        self._thread.start()
        try:
            yield self
        finally:
            self.release.set()
            self.httpd.shutdown()
            self.httpd.server_close()


def worker_connections(server: Server) -> dict[int, int]:
    """Worker pid -> connections it holds with callers on the service's port."""
    port = int(server.base.rsplit(":", 1)[1])
    workers = psutil.Process(server.process.pid).children()
    return {
        worker.pid: sum(
            1
            for connection in worker.net_connections(kind="tcp")
            if connection.status == psutil.CONN_ESTABLISHED and connection.laddr.port == port
        )
        for worker in workers
    }


def eventually(server: Server, name: str, expected: float) -> None:
    deadline = time.monotonic() + WAIT_S
    while (found := metric(server, name)) != expected:
        assert time.monotonic() < deadline, f"{name} stayed at {found}, not {expected}"
        time.sleep(0.1)


def post(server: Server, request: dict[str, Any]) -> int:
    try:
        return httpx.post(f"{server.base}{SIGN}", json=request, timeout=WAIT_S).status_code
    except httpx.TransportError:
        return 0  # the worker answering it was killed


def test_gauges_are_summed_over_the_live_workers(
    tmp_path: Path, scenario: Scenario, knowledge: Knowledge
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    database = tmp_path / "store.sqlite3"
    with HoldingFhirServer().running() as fhir:
        env = {
            "BACLOFEN_CDS_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "BACLOFEN_CDS_FHIR_ALLOWED_BASES": fhir.base,
            "BACLOFEN_CDS_FHIR_TIMEOUT_S": "60",
            "TMPDIR": str(temporary),
        }
        with serving(tmp_path, env, "--workers", "2") as server:
            # Ready means one worker is; both have started once both recorders are counted.
            eventually(server, "baclofen_cds_advice_queue_capacity", 2 * DEFAULT_CAPACITY)
            builds = {"version": __version__, "knowledge_version": knowledge.version}
            assert metric(server, "baclofen_cds_build_info", **builds) == 1
            assert metric(server, "baclofen_cds_requests_in_flight") == 0
            assert metric(server, "baclofen_cds_advice_queue_depth") == 0

            check_advice_queue_depth(server, database, scenario("03"))

            request = scenario("03")
            del request["prefetch"]["conditions"]  # fetched from the holding server
            request["fhirServer"] = fhir.base
            check_in_flight(server, fhir, request)
            assert metric(server, "baclofen_cds_build_info", **builds) == 1
    assert not [line for line in server.log_lines() if line.get("levelname") == "WARNING"]


def check_advice_queue_depth(server: Server, database: Path, request: dict[str, Any]) -> None:
    calls = 8
    # The test holds SQLite's write lock: each worker's writer waits on its first batch and the
    # calls after it stay queued.
    lock = sqlite3.connect(database, timeout=WAIT_S, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        with httpx.Client(timeout=WAIT_S) as http:
            for _ in range(calls):
                # A new connection per call, which either worker may accept.
                answer = http.post(
                    f"{server.base}{SIGN}", json=request, headers={"Connection": "close"}
                )
                assert answer.status_code == 200
        depths = {metric(server, "baclofen_cds_advice_queue_depth") for _ in range(4)}
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    # One batch per worker that got a call is being written (held by the lock), the rest is
    # queued; every scrape, whichever worker answers it, sees the same total.
    [depth] = depths
    assert calls - 2 <= depth <= calls - 1
    eventually(server, "baclofen_cds_advice_queue_depth", 0)
    assert metric(server, "baclofen_cds_advice_records_total", result="written") > 0


def check_in_flight(server: Server, fhir: HoldingFhirServer, request: dict[str, Any]) -> None:
    with ThreadPoolExecutor(max_workers=HELD_CALLS) as pool:
        calls: list[Future[int]] = [pool.submit(post, server, request) for _ in range(HELD_CALLS)]
        fhir.wait_for(HELD_CALLS)
        for _ in range(4):  # scrapes land on either worker: each sees the total
            assert metric(server, "baclofen_cds_requests_in_flight") == HELD_CALLS

        # A worker holding calls is killed, as the kernel's OOM killer would: it never retires
        # its own gauges, and the supervisor starts another.
        connections = worker_connections(server)
        victim = max(connections, key=lambda pid: connections[pid])
        assert connections[victim] > 0, connections
        psutil.Process(victim).send_signal(signal.SIGKILL)
        survivors = HELD_CALLS - connections[victim]
        eventually(server, "baclofen_cds_requests_in_flight", survivors)

        fhir.release.set()
        statuses = [call.result(WAIT_S) for call in calls]
    assert statuses.count(200) == survivors and statuses.count(0) == connections[victim]
    assert metric(server, "baclofen_cds_requests_in_flight") == 0
