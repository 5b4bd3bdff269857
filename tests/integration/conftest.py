"""A real FHIR server for the tests: Medplum's FHIR router behind tests/fhir_server/server.mjs.

Started once per session on a free loopback port. Each scenario gets its own data space (all
scenarios use patient id pat-1 with different data). The server exits when its standard input
closes, so it cannot outlive the session even if pytest is killed.
"""

from __future__ import annotations

import json
import selectors
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.requirements import unavailable

SERVER_DIR = ROOT / "tests" / "fhir_server"
START_TIMEOUT_S = 30


@dataclass
class FhirTestServer:
    url: str  # http://127.0.0.1:PORT

    def space(
        self,
        name: str,
        resources: Sequence[dict[str, Any]] = (),
        *,
        token: str | None = None,
        delay_ms: int = 0,
        page_size: int | None = None,
    ) -> str:
        """Create (or replace) a data space; its FHIR base URL."""
        options: dict[str, Any] = {"resources": list(resources), "token": token}
        options["delayMs"] = delay_ms
        if page_size is not None:
            options["pageSize"] = page_size
        response = httpx.put(f"{self.url}/_admin/spaces/{name}", json=options)
        response.raise_for_status()
        return f"{self.url}/{name}"

    def counts(self, name: str) -> dict[str, int]:
        """Requests the space received, and how many carried its token."""
        response = httpx.get(f"{self.url}/_admin/spaces/{name}")
        response.raise_for_status()
        counts: dict[str, int] = response.json()
        return counts


def resources_of(prefetch: dict[str, Any]) -> list[dict[str, Any]]:
    """Every resource in a scenario's prefetch: what its FHIR server would hold."""
    found: list[dict[str, Any]] = []
    for value in prefetch.values():
        if not isinstance(value, dict):
            continue
        if value.get("resourceType") == "Bundle":
            found.extend(entry["resource"] for entry in value.get("entry") or [])
        elif value.get("resourceType") != "OperationOutcome":
            found.append(value)
    return found


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        unavailable("node is not installed: the FHIR server integration tests need Node 20")
    if not (SERVER_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir():
        pytest.fail(
            "the test FHIR server is not installed: run ./scripts/test, or "
            "npm ci --prefix tests/fhir_server"
        )
    return node


def _read_port(process: subprocess.Popen[bytes], errors: Path) -> int:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=START_TIMEOUT_S):
            pytest.fail(f"the test FHIR server did not start within {START_TIMEOUT_S} s")
    line = process.stdout.readline()
    if not line:
        pytest.fail("the test FHIR server exited: " + errors.read_text(errors="replace")[-2000:])
    port: int = json.loads(line)["port"]
    return port


@contextmanager
def fhir_server_process(port: int = 0) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The server process and its port (``port``, or a free one); stopped on leaving.

    The process may be killed inside the block (the soak test does, to take it down)."""
    node = _node()
    arguments = ["--port", str(port)] if port else []
    with tempfile.NamedTemporaryFile(prefix="fhir-server-", suffix=".log") as errors:
        process = subprocess.Popen(
            [node, "server.mjs", "--exit-with-stdin", *arguments],
            cwd=SERVER_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        try:
            yield process, _read_port(process, Path(errors.name))
        finally:
            assert process.stdin is not None
            process.stdin.close()  # the server's signal to exit
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


@pytest.fixture(scope="session")
def fhir_server() -> Iterator[FhirTestServer]:
    with fhir_server_process() as (_, port):
        yield FhirTestServer(f"http://127.0.0.1:{port}")


@pytest.fixture(scope="session")
def dead_fhir_server() -> str:
    """A loopback FHIR base URL where nothing listens: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/fhir"
