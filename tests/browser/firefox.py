"""Headless Firefox driven over WebDriver BiDi, which Firefox speaks itself: no geckodriver.

Debian packages Firefox ESR but not geckodriver, and geckodriver's own download needs GitHub.
Firefox's remote agent (``--remote-debugging-port``) accepts WebDriver BiDi sessions on a
WebSocket; the few commands the tests need (navigate, evaluate, screenshot) are sent here with
the ``websockets`` client the service already depends on (through uvicorn[standard]).
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.browser.support import free_port
from tests.requirements import unavailable

FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")
START_TIMEOUT_S = 60
COMMAND_TIMEOUT_S = 60
# Quiet a fresh profile: no first-run pages, update checks or telemetry on a closed network.
PREFERENCES = {
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.auto": False,
    "extensions.update.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
}


class BidiError(AssertionError):
    pass


class Firefox:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.ids = itertools.count(1)
        self.context = ""

    def command(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        wanted = next(self.ids)
        self.connection.send(json.dumps({"id": wanted, "method": method, "params": params}))
        while True:
            message = json.loads(self.connection.recv(timeout=COMMAND_TIMEOUT_S))
            if message.get("id") != wanted:
                continue  # an event
            if message.get("type") != "success":
                raise BidiError(f"{method}: {message.get('error')}: {message.get('message')}")
            result: dict[str, Any] = message["result"]
            return result

    def start_session(self) -> None:
        self.command("session.new", {"capabilities": {}})
        tree = self.command("browsingContext.getTree", {})
        self.context = tree["contexts"][0]["context"]
        self.command(
            "browsingContext.setViewport",
            {"context": self.context, "viewport": {"width": 1440, "height": 1200}},
        )

    def get(self, url: str) -> None:
        self.command(
            "browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}
        )

    def run(self, script: str) -> Any:
        """The value of a JavaScript expression (awaited if a promise), through JSON."""
        result = self.command(
            "script.evaluate",
            {
                "expression": f"(async () => JSON.stringify(await ({script})))()",
                "target": {"context": self.context},
                "awaitPromise": True,
            },
        )
        if result["type"] != "success":
            details = result.get("exceptionDetails", {}).get("text")
            raise BidiError(f"script failed: {details}: {script[:200]}")
        value = result["result"]
        return None if value["type"] == "undefined" else json.loads(value["value"])

    def execute(self, source: str) -> None:
        """Run a script (a library) in the page, as a classic script would."""
        result = self.command(
            "script.evaluate",
            {"expression": source, "target": {"context": self.context}, "awaitPromise": False},
        )
        if result["type"] != "success":
            raise BidiError("script failed")

    def wait_for(self, script: str, what: str, timeout_s: float = 30) -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            value = self.run(script)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"Firefox: timed out waiting for {what}")
            time.sleep(0.1)

    def screenshot(self, path: Path) -> None:
        data = self.command("browsingContext.captureScreenshot", {"context": self.context})
        path.write_bytes(base64.b64decode(data["data"]))


@contextmanager
def firefox(profile: Path) -> Iterator[Firefox]:
    if FIREFOX is None:
        unavailable("needs Debian's firefox-esr (apt-get install firefox-esr)")
    assert FIREFOX is not None
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "user.js").write_text(
        "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in PREFERENCES.items())
    )
    port = free_port()
    log = (profile.parent / "firefox.log").open("wb")
    command = [FIREFOX, "--headless", "--no-remote", "--profile", str(profile)]
    command += [f"--remote-debugging-port={port}", "about:blank"]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, "Firefox exited at start-up"
            try:
                connection = connect(f"ws://127.0.0.1:{port}/session", max_size=None)
                break
            except OSError:
                assert time.monotonic() < deadline, "Firefox's remote agent did not start"
                time.sleep(0.2)
        with connection:
            browser = Firefox(connection)
            browser.start_session()
            yield browser
            browser.command("session.end", {})
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
