"""What the browser tests share: a real uvicorn server on a free port, headless Chromium, and
the axe-core accessibility check (npm, tests/browser/package.json)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from tests.conftest import ROOT
from tests.requirements import unavailable

ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
# Chromium's connections to Google's services are refused by closed networks, many at a time.
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERIOUS = {"serious", "critical"}
DOCS = ROOT / "docs"
# Read at import: the suite's autouse fixture clears BACLOFEN_CDS_* variables for each test.
UPDATE_SCREENSHOTS = os.environ.get("BACLOFEN_CDS_UPDATE_SCREENSHOTS") == "1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(make_app: Callable[[int], FastAPI]) -> Iterator[str]:
    """An app under uvicorn on 127.0.0.1, in a thread; its base URL.

    The socket is bound first (port 0) and handed to uvicorn, so no other process on this
    shared machine can take the port between choosing it and listening; ``make_app`` gets the
    port for the app's public base URL.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    config = uvicorn.Config(make_app(port), log_level="warning", lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    try:
        while not running.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)
        listener.close()


@contextmanager
def chromium(width: int = 900, height: int = 1100) -> Iterator[Any]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        unavailable(
            "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--window-size={width},{height}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def axe_source() -> str:
    if not AXE.is_file():
        unavailable("needs axe-core: npm ci --prefix tests/browser (./scripts/test does it)")
    return AXE.read_text(encoding="utf-8")


def serious_violations(driver: Any) -> list[str]:
    """axe-core run on the page as it is now: its serious and critical violations, described.

    Injected through WebDriver, which the page's content security policy does not govern.
    """
    driver.execute_script(axe_source())
    results = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}]));"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node.get("target")) for node in v.get("nodes", [])[:5])
        for v in results
        if v.get("impact") in SERIOUS
    ]


def save_screenshot(driver: Any, name: str, docs_name: str | None = None) -> Path:
    """Into tests/artifacts/ (git-ignored); also docs/``docs_name`` when asked to update those
    (``BACLOFEN_CDS_UPDATE_SCREENSHOTS=1``): the README shows them."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    if docs_name is not None and UPDATE_SCREENSHOTS:
        shutil.copyfile(path, DOCS / docs_name)
    return path
