"""``baclofen-cds serve --workers 2``: two processes share the port, and ``/metrics`` sums them.

Requests go out on new connections, several at a time, until the access lines show that both
workers answered; then any worker's scrape must count every request, whichever answered it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.servers import Server, serving

Scenario = Callable[[str], dict[str, Any]]
SIGN = "/cds-services/baclofen-order-sign"
HOOK_ROUTE = "/cds-services/{service_id}"
BATCH = 12
MAX_BATCHES = 10


def metric(server: Server, name: str, **labels: str) -> float:
    text = httpx.get(f"{server.base}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def answering_pids(server: Server) -> set[int]:
    return {
        line["pid"]
        for line in server.log_lines()
        if line.get("logger") == "baclofen_cds.access" and line.get("route") == HOOK_ROUTE
    }


def test_two_workers_answer_and_their_metrics_are_summed(
    tmp_path: Path, scenario: Scenario
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {
        "BACLOFEN_CDS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}",
        "BACLOFEN_CDS_LOG_LEVEL": "INFO",  # the access lines say which worker answered
        "TMPDIR": str(temporary),  # where serve makes the workers' metrics directory
    }
    request = scenario("03")

    def call(_: int) -> int:
        # A client per call: a new connection, which either worker may accept.
        with httpx.Client(timeout=30) as http:
            return http.post(f"{server.base}{SIGN}", json=request).status_code

    with serving(tmp_path, env, "--workers", "2") as server:
        [metrics_dir] = temporary.iterdir()
        assert metrics_dir.name.startswith("baclofen-cds-metrics-")
        sent = 0
        with ThreadPoolExecutor(max_workers=6) as pool:
            while len(answering_pids(server)) < 2 and sent < BATCH * MAX_BATCHES:
                assert set(pool.map(call, range(BATCH))) == {200}
                sent += BATCH
        assert len(answering_pids(server)) == 2, f"one worker answered all {sent} calls"

        hook_calls = {"route": HOOK_ROUTE, "service": "baclofen-order-sign", "status": "200"}
        for _ in range(4):  # scrapes land on either worker: each must see the sum
            assert metric(server, "baclofen_cds_requests_total", **hook_calls) == sent
        service = {"service": "baclofen-order-sign"}
        assert metric(server, "baclofen_cds_evaluation_seconds_count", **service) == sent
        critical = {"rule": "dose-above-max", "indicator": "critical"}
        assert metric(server, "baclofen_cds_cards_total", **critical) == sent
        assert metric(server, "baclofen_cds_request_seconds_count", route=HOOK_ROUTE) == sent

    # Every line, the supervisor's and both workers', is JSON (log_lines parses each); the
    # metrics directory of that start is gone.
    messages = [line["message"] for line in server.log_lines()]
    assert "request" in messages
    assert [m for m in messages if m.startswith("Started server process")] != []
    assert not [line for line in server.log_lines() if "color_message" in line]
    assert list(temporary.iterdir()) == []
