"""The image as deploy/kubernetes runs it: read-only root with a /tmp of its own, no
capabilities, two workers, PostgreSQL and Redis (this machine's, over the host network).

Run by scripts/container-check like test_image.py; skipped elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import load_scenario
from tests.container.test_image import ENABLED, Running, podman, started

pytestmark = pytest.mark.skipif(
    not ENABLED,
    reason="needs podman and a built image: run scripts/container-check "
    "(sets BACLOFEN_CDS_CONTAINER_TESTS=1)",
)

REDIS_URL = "redis://127.0.0.1:6379/0"
SIGN = "/cds-services/baclofen-order-sign"
CALLS = 8


@pytest.fixture
def deployed(postgres_url: str) -> Iterator[Running]:
    with started(
        # deploy/kubernetes/base/deployment.yaml's security context and volumes, in podman's words
        "--read-only", "--read-only-tmpfs=false", "--tmpfs", "/tmp:rw,size=64m",
        "--user", "10001:10001", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        "--env", "BACLOFEN_CDS_WORKERS=2",
        "--env", f"BACLOFEN_CDS_DATABASE_URL={postgres_url}",
        "--env", f"BACLOFEN_CDS_REDIS_URL={REDIS_URL}",
        "--env", "BACLOFEN_CDS_AUTH_REQUIRED=false",
        "--env", "BACLOFEN_CDS_LINK_KEYS=test-only-link-key-0123456789abcdef",
        "--env", "BACLOFEN_CDS_TODAY=2026-11-23",
        prefix="baclofen-cds-deploy",
    ) as running:  # fmt: skip
        yield running


def test_serves_on_a_read_only_root_with_two_workers_and_stops_cleanly(
    deployed: Running,
) -> None:
    base = deployed.base_url
    ready = httpx.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text  # PostgreSQL reached and migrated
    request = load_scenario("03")["request"]
    for _ in range(CALLS):
        with httpx.Client(timeout=30) as http:  # new connections: either worker may answer
            assert http.post(f"{base}{SIGN}", json=request).status_code == 200

    text = httpx.get(f"{base}/metrics", timeout=10).text
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    calls = sum(
        s.value
        for s in samples
        if s.name == "baclofen_cds_requests_total"
        and s.labels.get("status") == "200"
        and s.labels.get("service") == "baclofen-order-sign"
    )
    assert calls == CALLS
    # Multiprocess mode: the metrics are the workers' files (in the /tmp tmpfs), not one
    # process's registry with its process_* metrics.
    assert not [s for s in samples if s.name.startswith("process_")]
    listing = podman("exec", deployed.name, "ls", "/tmp").stdout.split()
    assert [entry for entry in listing if entry.startswith("baclofen-cds-metrics-")] != []
    assert podman("exec", deployed.name, "touch", "/data/x", check=False).returncode != 0
    podman("exec", deployed.name, "sleep", "0")  # the Deployment's preStop command exists

    podman("stop", "--time", "40", deployed.name, timeout=60)
    state = json.loads(podman("inspect", "--format", "{{json .State}}", deployed.name).stdout)
    logs = deployed.logs()
    assert state["ExitCode"] == 0, logs
    assert logs.count("Application shutdown complete") == 2
