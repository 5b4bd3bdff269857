"""The container image, running: healthy, answers discovery and a hook call, not as root.

Needs podman and a built image: scripts/container-check builds the image and runs this module
with BACLOFEN_CDS_CONTAINER_TESTS=1 (CI does, through .ci/run). Without that variable the
module is skipped; with it, anything missing is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.test_discovery import CONTRACT
from tests.conftest import codes, load_scenario
from tests.servers import free_port

# Read at import: the autouse fixture in conftest clears BACLOFEN_CDS_* before each test.
ENABLED = os.environ.get("BACLOFEN_CDS_CONTAINER_TESTS") == "1"
IMAGE = os.environ.get("BACLOFEN_CDS_IMAGE", "localhost/baclofen-cds:ci")
BASE_IMAGE = os.environ.get("BACLOFEN_CDS_BASE_IMAGE", "")
BUILD_CA = os.environ.get("BACLOFEN_CDS_BUILD_CA", "")

pytestmark = pytest.mark.skipif(
    not ENABLED,
    reason="needs podman and a built image: run scripts/container-check "
    "(sets BACLOFEN_CDS_CONTAINER_TESTS=1)",
)

HEALTHY_WITHIN_S = 60
FIXTURE = "03-increase-60-120-mg-day"


def podman(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["podman", *args], capture_output=True, text=True, check=False, timeout=timeout
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"podman {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result


@dataclass(frozen=True)
class Running:
    name: str
    base_url: str

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def health(self) -> str:
        return podman("inspect", "--format", "{{.State.Health.Status}}", self.name).stdout.strip()

    def state(self) -> str:
        return podman("inspect", "--format", "{{.State.Status}}", self.name).stdout.strip()


def wait_until_healthy(container: Running) -> None:
    """Runs the image's own HEALTHCHECK until it passes (podman has no timer without systemd)."""
    deadline = time.monotonic() + HEALTHY_WITHIN_S
    while time.monotonic() < deadline:
        if container.state() != "running":
            pytest.fail(f"the container stopped ({container.state()}):\n{container.logs()}")
        podman("healthcheck", "run", container.name, check=False)
        if container.health() == "healthy":
            return
        time.sleep(1)
    pytest.fail(
        f"not healthy within {HEALTHY_WITHIN_S} s (status {container.health()!r}):\n"
        + container.logs()
    )


@contextmanager
def started(*options: str, prefix: str = "baclofen-cds-test") -> Iterator[Running]:
    """The image running with ``options`` (podman run's), healthy; removed afterwards."""
    port = free_port()
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    # Host networking (containers.conf): the service binds loopback on a free port, chosen
    # through the same variable the image's HEALTHCHECK reads.
    podman(
        "run", "--detach", "--name", name, "--network=host",
        "--env", "BACLOFEN_CDS_HOST=127.0.0.1",
        "--env", f"BACLOFEN_CDS_PORT={port}",
        *options,
        IMAGE,
    )  # fmt: skip
    running = Running(name=name, base_url=f"http://127.0.0.1:{port}")
    try:
        wait_until_healthy(running)
        yield running
    finally:
        # Shown by pytest when a test of this module failed.
        sys.stderr.write(f"--- logs of {name}\n{running.logs()}\n")
        podman("rm", "--force", "--time", "10", name, check=False)


@pytest.fixture(scope="module")
def container() -> Iterator[Running]:
    with started("--env", "BACLOFEN_CDS_AUTH_REQUIRED=false") as running:
        yield running


def test_healthcheck_reports_healthy(container: Running) -> None:
    assert container.health() == "healthy"
    assert httpx.get(f"{container.base_url}/healthz", timeout=5).status_code == 200


def test_discovery_lists_the_three_services(container: Running) -> None:
    response = httpx.get(f"{container.base_url}/cds-services", timeout=10)
    assert response.status_code == 200
    assert {s["id"]: s["hook"] for s in response.json()["services"]} == CONTRACT


def test_a_bundled_fixture_gets_its_cards(container: Running) -> None:
    # The request comes from inside the image: the fixtures ship in the installed package.
    shown = podman("exec", container.name, "baclofen-cds", "fixtures", "show", FIXTURE)
    response = httpx.post(
        f"{container.base_url}/cds-services/baclofen-order-sign",
        json=json.loads(shown.stdout),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    found = codes(response.json())
    assert found["dose-above-max"] == "critical"
    # Every card the fixture promises (as the in-process tests check; info cards may come too).
    assert found.items() >= load_scenario(FIXTURE)["expect"]["present"].items()


def test_runs_as_an_unprivileged_user(container: Running) -> None:
    assert podman("exec", container.name, "id", "-u").stdout.strip() == "10001"
    # The server process itself, not only what `exec` starts.
    status = podman("exec", container.name, "cat", "/proc/1/status").stdout
    uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
    assert uids and "0" not in uids


def test_nothing_lent_to_the_build_is_in_the_image() -> None:
    """The CA bundle given to pip as a build secret left no copy; no pip configuration either."""
    assert BUILD_CA and BASE_IMAGE, "scripts/container-check sets both"
    ca = Path(BUILD_CA).read_bytes()
    image_root = Path(podman("image", "mount", IMAGE).stdout.strip())
    base_root = Path(podman("image", "mount", BASE_IMAGE).stdout.strip())
    try:
        copies = [
            path
            for path in files_of_size(image_root, len(ca))
            if path.read_bytes() == ca
            # The base's own CA list may equal the host's: that one was not lent.
            and not same_file_in(base_root, image_root, path, ca)
        ]
        assert copies == []
        assert not (image_root / "run" / "secrets").exists()
        pip_configs = [
            image_root / "etc" / "pip.conf",
            image_root / "etc" / "xdg" / "pip" / "pip.conf",
            image_root / "opt" / "baclofen-cds" / "pip.conf",
        ]
        assert [p for p in pip_configs if p.exists()] == []
    finally:
        podman("image", "unmount", IMAGE, check=False)
        podman("image", "unmount", BASE_IMAGE, check=False)


def files_of_size(root: Path, size: int) -> Iterator[Path]:
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            if not path.is_symlink() and path.is_file() and path.stat().st_size == size:
                yield path


def same_file_in(base_root: Path, image_root: Path, path: Path, content: bytes) -> bool:
    twin = base_root / path.relative_to(image_root)
    return twin.is_file() and not twin.is_symlink() and twin.read_bytes() == content
