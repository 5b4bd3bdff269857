"""The record survives a restart of the service: a real server process, stopped and started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.api.store_client import FEEDBACK, SIGN, item

Scenario = Callable[[str], dict[str, Any]]
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(database_url: str, workdir: Path) -> Iterator[str]:
    """``baclofen-cds serve`` on a loopback port; stopped with SIGTERM, as an orchestrator does."""
    port = free_port()
    env = {
        **os.environ,
        "BACLOFEN_CDS_DATABASE_URL": database_url,
        "BACLOFEN_CDS_AUTH_REQUIRED": "false",
        "BACLOFEN_CDS_TODAY": "2026-11-23",
        "BACLOFEN_CDS_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the service did not become ready"
            time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
            if process.stderr:
                process.stderr.close()
    # uvicorn shuts down gracefully (lifespan shutdown: the recorder drains), then re-raises
    # the signal so that the exit status tells how it ended.
    assert process.returncode in (0, -signal.SIGTERM)


def test_advice_and_feedback_survive_a_restart(
    database_url: str, scenario: Scenario, tmp_path: Path
) -> None:
    with serving(database_url, tmp_path) as base:
        cards = httpx.post(f"{base}{SIGN}", json=scenario("03"), timeout=10).json()["cards"]
        body = {"feedback": [item(cards[0]["uuid"])]}
        assert httpx.post(f"{base}{FEEDBACK}", json=body, timeout=10).status_code == 200
        # Stopped at once: cards still queued in the recorder are written on the way out.

    with serving(database_url, tmp_path) as base:
        rules = httpx.get(f"{base}/analytics/rules", timeout=10).json()["rules"]
        again = httpx.post(f"{base}{FEEDBACK}", json=body, timeout=10).json()

    assert sorted((r["rule"], r["issued"], r["overridden"]) for r in rules) == sorted(
        (card["source"]["topic"]["code"], 1, int(card is cards[0])) for card in cards
    )
    assert again["feedback"][0]["status"] == "duplicate"
