#!/usr/bin/env python3
"""In-process evaluation time: facts, rules and cards for each workload, without HTTP.

    .venv/bin/python -m bench.inprocess [--repeat N] [--cold] [--json]
    .venv/bin/python -m bench.inprocess --growth

Measures the clinical core and its cards (service.clinical.assess, then
service.present.presenter.present) and, separately, the whole pipeline of
one hook call without the network (Evaluator.evaluate: parsing, draft order validation,
prefetch resolution, assessment, cards). Reports the median and the 95th percentile.
``--growth`` times the core on the typical order-sign's record multiplied 1 to 32 times, to
show that the cost per resource stays flat (linear growth).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import time
from typing import Any

from bench.workloads import SERVICES, build, resource_count, scaled
from service.clinical.assess import assess
from service.clinical.case import ClinicalCase
from service.clinical.knowledge import Knowledge, load_knowledge
from service.clinical.trigger import Trigger
from service.pipeline.evaluator import Evaluator
from service.pipeline.services import by_record_kind
from service.present.links import ServiceLinks
from service.present.presenter import present
from service.present.schedule_codec import LinkSigner

TODAY = dt.date(2026, 11, 23)

# The service signs schedule links with its configured key; any key costs the same.
SIGNER = LinkSigner([b"benchmark-only-link-key-0123456789"])
LINKS = ServiceLinks("https://cds.example.org", SIGNER)


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def core_ms(
    knowledge: Knowledge, request: dict[str, Any], trigger: Trigger = Trigger.ORDER_WRITTEN
) -> float:
    """One call of the clinical core on ``request``, in milliseconds."""
    context = request["context"]
    started = time.perf_counter()
    case = ClinicalCase(
        today=TODAY,
        patient_id=context["patientId"],
        records=by_record_kind(request["prefetch"]),
        trigger=trigger,
        draft_orders=context.get("draftOrders"),
    )
    present(assess(case, knowledge), knowledge, LINKS)
    return (time.perf_counter() - started) * 1000


def measure(repeat: int, cold: bool) -> list[dict[str, Any]]:
    knowledge = load_knowledge()
    evaluator = Evaluator(
        knowledge, base_url="https://cds.example.org", clock=lambda: TODAY, link_signer=SIGNER
    )
    rows = []
    # One loop for every call: asyncio.run would add a loop's creation (~0.4 ms) to each.
    loop = asyncio.new_event_loop()
    for name, service in SERVICES.items():
        request = build(name)
        core: list[float] = []
        pipeline: list[float] = []
        for _ in range(repeat):
            if cold:
                knowledge.forget()
            core.append(
                core_ms(
                    knowledge,
                    request,
                    trigger=Trigger.CHART_OPENED
                    if name == "patient-view"
                    else Trigger.ORDER_WRITTEN,
                )
            )
            body = json.loads(json.dumps(request))  # what the route hands over after parsing
            if cold:
                knowledge.forget()
            started = time.perf_counter()
            loop.run_until_complete(evaluator.evaluate(service, body))
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
    loop.close()
    return rows


def growth(repeat: int, factors: tuple[int, ...] = (1, 2, 4, 8, 16, 32)) -> list[dict[str, Any]]:
    """The core's time as the prefetch grows: the cost per resource should stay flat."""
    knowledge = load_knowledge()
    rows = []
    for factor in factors:
        request = scaled(factor)
        samples: list[float] = []
        for _ in range(max(5, repeat // factor)):
            samples.append(core_ms(knowledge, request))
        resources = resource_count(request)
        median = statistics.median(samples)
        rows.append(
            {
                "factor": factor,
                "resources": resources,
                "core_median_ms": round(median, 3),
                "us_per_resource": round(median * 1000 / resources, 2),
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
    parser.add_argument(
        "--growth", action="store_true", help="the core's time as the prefetch grows 1x to 32x"
    )
    args = parser.parse_args()
    if args.growth:
        table = growth(args.repeat)
        if args.json:
            print(json.dumps(table, indent=2))
            return 0
        print(f"{'factor':>6}{'resources':>10}{'core_median_ms':>17}{'us_per_resource':>17}")
        for row in table:
            print(
                f"{row['factor']:>6}{row['resources']:>10}{row['core_median_ms']:>14} ms"
                f"{row['us_per_resource']:>14} us"
            )
        return 0
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
