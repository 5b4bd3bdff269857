#!/usr/bin/env python3
"""In-process evaluation time: facts, rules and cards for each workload, without HTTP.

    .venv/bin/python -m bench.inprocess [--repeat N]

Measures the clinical core (service.clinical.assess) and, separately, the whole pipeline of
one hook call without the network (Evaluator.evaluate: parsing, draft order validation,
prefetch resolution, assessment, cards). Reports the median and the 95th percentile.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import time
from typing import Any

from bench.workloads import SERVICES, build, resource_count
from service.clinical.assess import assess
from service.clinical.knowledge import load_knowledge
from service.evaluate import Evaluator

TODAY = dt.date(2026, 11, 23)


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(repeat: int, cold: bool) -> list[dict[str, Any]]:
    knowledge = load_knowledge()
    evaluator = Evaluator(knowledge, base_url="https://cds.example.org", clock=lambda: TODAY)
    rows = []
    for name, service in SERVICES.items():
        request = build(name)
        context = request["context"]
        core: list[float] = []
        pipeline: list[float] = []
        for _ in range(repeat):
            if cold:
                knowledge.forget()
            started = time.perf_counter()
            assess(
                knowledge=knowledge,
                today=TODAY,
                patient_id=context["patientId"],
                prefetch=request["prefetch"],
                unavailable={},
                base_url="https://cds.example.org",
                draft_orders=context.get("draftOrders"),
                patient_view=name == "patient-view",
            )
            core.append((time.perf_counter() - started) * 1000)
            body = json.loads(json.dumps(request))  # what the route hands over after parsing
            if cold:
                knowledge.forget()
            started = time.perf_counter()
            asyncio.run(evaluator.evaluate(service, body))
            pipeline.append((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "workload": name,
                "resources": resource_count(request),
                "core_median_ms": round(statistics.median(core), 3),
                "core_p95_ms": round(_percentile(core, 0.95), 3),
                "pipeline_median_ms": round(statistics.median(pipeline), 3),
                "pipeline_p95_ms": round(_percentile(pipeline, 0.95), 3),
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--cold", action="store_true", help="forget memoised code classifications every time"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    rows = measure(args.repeat, args.cold)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    columns = ("core_median_ms", "core_p95_ms", "pipeline_median_ms", "pipeline_p95_ms")
    print(f"{'workload':<14}{'resources':>10}" + "".join(f"{c:>20}" for c in columns))
    for row in rows:
        values = "".join(f"{row[c]:>17} ms" for c in columns)
        print(f"{row['workload']:<14}{row['resources']:>10}{values}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
