"""``baclofen-cds demo`` as a real process: it prints its URL, listens on 127.0.0.1 only with
authentication off whatever the environment says, keeps its store in a temporary directory
that is gone after it stops, and serves the demo page."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import load_scenario
from tests.servers import START_TIMEOUT_S, STOP_TIMEOUT_S

URL = re.compile(r"open (http://127\.0\.0\.1:(\d+)/demo)")


def start_demo(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BACLOFEN_CDS_")}
    environment.update(
        {
            # A production environment around it changes nothing of the demo's own settings.
            "BACLOFEN_CDS_AUTH_REQUIRED": "true",
            "BACLOFEN_CDS_HOST": "0.0.0.0",
            "BACLOFEN_CDS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'production.sqlite3'}",
            "TMPDIR": str(tmp_path / "tmp"),
        }
    )
    (tmp_path / "tmp").mkdir()
    output = tmp_path / "demo.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "demo", *args],
            cwd=tmp_path,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return process, output


def wait_for_url(process: subprocess.Popen[bytes], output: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        found = URL.search(output.read_text(errors="replace"))
        if found:
            return found.group(1)
        assert process.poll() is None, output.read_text(errors="replace")
        assert time.monotonic() < deadline, output.read_text(errors="replace")
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes], how: signal.Signals) -> int:
    process.send_signal(how)
    try:
        return process.wait(timeout=STOP_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# Ctrl+C, as the demo tells its user; SIGTERM, as a process manager stops it.
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_demo_serves_its_page_locally_and_cleans_up(
    tmp_path: Path, how: signal.Signals
) -> None:
    process, output = start_demo(tmp_path)
    try:
        url = wait_for_url(process, output)
        base = url.removesuffix("/demo")
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200 and "Demo EHR" in page.text
        # Authentication is off: a hook call without a token is answered.
        request = load_scenario("03")["request"]
        answer = httpx.post(f"{base}/cds-services/baclofen-order-sign", json=request, timeout=30)
        assert answer.status_code == 200, answer.text
        codes = {card["source"]["topic"]["code"] for card in answer.json()["cards"]}
        assert "dose-above-max" in codes
        # Its links point at itself.
        assert answer.json()["cards"][0]["source"]["url"].startswith(f"{base}/knowledge/rules/")
        # Its store is in a temporary directory of its own, not the configured database.
        stores = list((tmp_path / "tmp").glob("baclofen-cds-demo-*/demo.sqlite3"))
        assert len(stores) == 1
        assert not (tmp_path / "production.sqlite3").exists()
        # Only loopback: the port is not open on another address of this machine.
        port = int(URL.search(output.read_text()).group(2))  # type: ignore[union-attr]
        other = _non_loopback_address()
        if other is not None:
            with socket.socket() as probe:
                probe.settimeout(2)
                assert probe.connect_ex((other, port)) != 0
    finally:
        code = stop(process, how)
    assert code == 0, output.read_text(errors="replace")
    assert "stopped; its store is deleted" in output.read_text()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process, output = start_demo(tmp_path, "--port", str(taken.getsockname()[1]))
        assert process.wait(timeout=START_TIMEOUT_S) == 1
    assert "cannot listen on 127.0.0.1:" in output.read_text()


def _non_loopback_address() -> str | None:
    """An address of this machine other than loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address
