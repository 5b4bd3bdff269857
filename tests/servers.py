"""``baclofen-cds serve`` as a real process on a free loopback port, for tests of what only a
running server shows: restarts, workers, signals, replicas.

Its standard error (the JSON log) goes to a file, read back with ``Server.log_lines``; a pipe
nobody reads would fill up and stall the server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

# Signs the schedule links of the servers tests start (for tests only: it is public here).
TEST_LINK_KEY = "test-only-link-key-0123456789abcdef"
START_TIMEOUT_S = 60  # two servers starting at once on a shared 2-core machine
STOP_TIMEOUT_S = 40  # above serve's graceful shutdown (20 s) and the recorder's drain (15 s)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log_path: Path
    _log: Any = field(repr=False, default=None)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss_bytes(self) -> int:
        """The server process's resident memory (with one worker, the process serving)."""
        rss: int = psutil.Process(self.process.pid).memory_info().rss
        return rss

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line written so far, each parsed as JSON (a line that is not fails the test)."""
        return [json.loads(line) for line in self.log_text().splitlines() if line.strip()]

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            assert self.process.poll() is None, f"the server exited:\n{self.log_text()[-4000:]}"
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"not ready in {timeout_s} s:\n{self.log_text()}"
            time.sleep(0.1)

    def terminate(self) -> None:
        """SIGTERM, as an orchestrator stops a container."""
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout_s: float = STOP_TIMEOUT_S) -> int:
        try:
            return self.process.wait(timeout=timeout_s)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            if self._log is not None:
                self._log.close()

    def stop(self) -> int:
        self.terminate()
        return self.wait()


def start(
    workdir: Path, env: dict[str, str], *args: str, name: str = "server", port: int | None = None
) -> Server:
    """Start ``baclofen-cds serve ARGS`` in ``workdir``; ``env`` is added to a clean environment.

    ``port``: when the environment must name it in advance (a public base URL); else a free one.
    """
    port = port or free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BACLOFEN_CDS_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    environment.update(
        {
            "BACLOFEN_CDS_AUTH_REQUIRED": "false",
            "BACLOFEN_CDS_TODAY": "2026-11-23",  # the scenario files' evaluation date
            "BACLOFEN_CDS_LOG_LEVEL": "WARNING",
            # serve refuses to start in production without link keys (service.present.links).
            "BACLOFEN_CDS_LINK_KEYS": TEST_LINK_KEY,
            **env,
        }
    )
    log_path = workdir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--port", str(port), *args],
        cwd=workdir,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    return Server(process, f"http://127.0.0.1:{port}", log_path, log)


@contextmanager
def serving(
    workdir: Path, env: dict[str, str], *args: str, port: int | None = None
) -> Iterator[Server]:
    """A ready server, stopped with SIGTERM at the end, which it must survive cleanly."""
    server = start(workdir, env, *args, port=port)
    try:
        server.wait_ready()
        yield server
    finally:
        if server.process.poll() is None:
            server.terminate()
        returncode = server.wait()
    # uvicorn shuts down gracefully (lifespan shutdown: the recorder drains), then re-raises
    # the signal so that the exit status tells how it ended.
    assert returncode in (0, -signal.SIGTERM), server.log_text()[-4000:]
