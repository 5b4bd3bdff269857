"""The service as production runs it: uvicorn in its own process on loopback, configured by
environment variables; its memory read from outside."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from tests.conftest import ROOT

START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class ServiceProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def rss_bytes(self) -> int:
        rss: int = psutil.Process(self.process.pid).memory_info().rss
        return rss


def _wait_until_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the service exited at start-up:\n" + log.read_text()[-3000:])
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the service did not answer /healthz within {START_TIMEOUT_S} s")


@contextmanager
def service_process(environment: dict[str, str], log: Path, port: int) -> Iterator[ServiceProcess]:
    """``uvicorn service.asgi:app`` on ``port``, with ``environment`` as its BACLOFEN_CDS_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACLOFEN_CDS_")}
    env.update(environment)
    command = [sys.executable, "-m", "uvicorn", "service.asgi:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, url, log)
        yield ServiceProcess(process, url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
