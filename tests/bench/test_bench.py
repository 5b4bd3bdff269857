"""The benchmark's own correctness: it measures the answers it claims to (no timings here)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import inprocess
from bench.run import combine_rounds
from bench.workloads import SERVICES, build, resource_count, scaled
from service.pipeline.services import SERVICES as CATALOGUE
from tests.conftest import ROOT
from tests.requirements import unavailable


def bundle_sizes(request: dict[str, Any]) -> dict[str, int]:
    return {
        key: len(value.get("entry") or [])
        for key, value in request["prefetch"].items()
        if isinstance(value, dict) and value.get("resourceType") == "Bundle"
    }


def test_the_typical_order_sign_has_about_sixty_resources() -> None:
    assert 55 <= resource_count(build("typical")) <= 65


def test_the_heavy_patient_has_the_sizes_the_issue_names() -> None:
    sizes = bundle_sizes(build("heavy"))
    assert sizes["observations"] == 1000
    assert sizes["conditions"] == 300
    assert sizes["medications"] == 101  # the active baclofen and 100 others


def test_scaled_records_grow_by_the_factor() -> None:
    one, four = bundle_sizes(scaled(1)), bundle_sizes(scaled(4))
    assert four["observations"] == 4 * one["observations"]
    assert four["conditions"] == 4 * one["conditions"]


def test_every_workload_names_a_service_of_the_catalogue() -> None:
    assert set(SERVICES.values()) <= set(CATALOGUE)


def test_in_process_measurement_reports_each_workload() -> None:
    rows = inprocess.measure(repeat=3, cold=True)
    assert [row["workload"] for row in rows] == list(SERVICES)
    for row in rows:
        assert row["core_median_ms"] > 0
        assert row["pipeline_median_ms"] >= row["core_median_ms"] * 0.5


def test_growth_reports_a_cost_per_resource() -> None:
    rows = inprocess.growth(repeat=5, factors=(1, 2))
    assert [row["resources"] for row in rows] == [
        resource_count(scaled(1)),
        resource_count(scaled(2)),
    ]
    assert all(row["us_per_resource"] > 0 for row in rows)


def test_the_http_benchmark_runs_and_checks_its_answers(tmp_path: Path) -> None:
    """A one-second run of bench.run: authenticated calls answered 200 with the real cards."""
    if shutil.which("wrk") is None:
        unavailable("wrk is not installed (Debian: apt-get install wrk)")
    out = tmp_path / "result.json"
    command = [sys.executable, "-m", "bench.run", "--workers", "1", "--concurrency", "2"]
    command += ["--duration", "2", "--rounds", "2", "--workloads", "typical", "no-baclofen"]
    command += ["--out", str(out)]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert finished.returncode == 0, finished.stderr[-2000:]
    rows = {row["workload"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows["typical"]["cards"] >= 1
    assert rows["no-baclofen"]["cards"] == 0
    for row in rows.values():
        assert row["result"]["requests"] > 0
        assert row["result"]["status_errors"] == row["result"]["socket_errors"] == 0
        assert row["floor"]["requests"] > 0
        assert row["ratio_to_floor"] > 0


def test_rounds_are_summed_and_their_median_reported() -> None:
    def wrk_round(requests: int, rps: float, p99_us: int) -> dict[str, Any]:
        return {
            "requests": requests,
            "duration_us": 1_000_000,
            "status_errors": 0,
            "socket_errors": 1 if requests == 30 else 0,
            "rps": rps,
            "p50_us": 100,
            "p95_us": 200,
            "p99_us": p99_us,
            "max_us": 900,
        }

    merged = combine_rounds(
        [wrk_round(10, 10.0, 300), wrk_round(30, 30.0, 900), wrk_round(20, 20.0, 400)]
    )
    assert merged["requests"] == 60
    assert merged["socket_errors"] == 1  # an error in any round is kept
    assert merged["rps"] == 20.0
    assert merged["p99_us"] == 400
