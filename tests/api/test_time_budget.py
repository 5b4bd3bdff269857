"""No single hook call can hold the service: bounded texts, linear patterns, a time budget.

The attack: a medication text of "baclofen tablet" followed by 15,000 digits, in a draft order
or in an active order of the record, held the event loop for about 30 s, and /healthz (the
liveness probe) waited as long. Now the checks run off the event loop within
``BACLOFEN_CDS_EVALUATION_TIMEOUT_S``; a call that overruns answers 503 and the rest of the
service never notices.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.pipeline import evaluator as evaluate
from service.pipeline.answer import answer
from tests import factories as f
from tests.conftest import running

SIGN = "/cds-services/baclofen-order-sign"
# Generous for a loaded 2-core machine; the attack took about 30 s before the fix.
ANSWERED_WITHIN_S = 10.0
PROBE_WITHIN_S = 2.0


def attack(where: str) -> dict[str, Any]:
    text = "baclofen tablet " + "1" * 15_000
    concept = {"text": text}
    if where == "draft":
        return f.hook_request([f.med_request(concept, rid="mr-1")])
    active = f.med_request(concept, status="active", authored_days_ago=60, rid="mr-0")
    return f.hook_request([f.med_request(rid="mr-1")], medications=[active])


async def timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await call
    return response, time.perf_counter() - started


@pytest.mark.parametrize("where", ["draft", "active"])
async def test_digit_run_in_a_medication_text_is_answered_at_once(
    client: httpx.AsyncClient, where: str
) -> None:
    (answer, answer_s), (probe, probe_s) = await asyncio.gather(
        timed(client.post(SIGN, json=attack(where))), timed(client.get("/healthz"))
    )
    assert answer.status_code == 200, answer.text
    assert answer_s < ANSWERED_WITHIN_S
    assert probe.status_code == 200 and probe_s < PROBE_WITHIN_S


@pytest.fixture
def stuck_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The clinical core replaced by one that computes until released (a defect, say)."""
    release = threading.Event()

    def spin(*arguments: Any) -> Any:
        while not release.is_set():
            sum(range(1000))  # pure Python: holds the GIL between switches, as rules do
        return answer(*arguments)

    monkeypatch.setattr(evaluate, "answer", spin)
    yield release
    release.set()


async def test_an_evaluation_out_of_time_answers_503_and_the_service_stays_responsive(
    make_app: Callable[..., FastAPI], stuck_checks: threading.Event
) -> None:
    app = make_app(evaluation_timeout_s=0.5)
    async with running(app) as client:
        call = asyncio.create_task(timed(client.post(SIGN, json=f.hook_request([f.med_request()]))))
        probes = [await timed(client.get("/healthz")) for _ in range(3)]
        answer, answer_s = await call
        assert answer.status_code == 503
        issue = answer.json()["issue"][0]
        assert issue["code"] == "timeout"
        assert "did not finish within 0.5 s" in issue["diagnostics"]
        assert answer_s < ANSWERED_WITHIN_S
        assert all(p.status_code == 200 and s < PROBE_WITHIN_S for p, s in probes)
        stuck_checks.set()
        # Released, the next call is checked as usual.
        after = await client.post(SIGN, json=f.hook_request([f.med_request()]))
        assert after.status_code == 200


def test_the_budget_covers_the_steps_together() -> None:
    """Two steps of 0.3 s each overrun a 0.5 s budget: the budget is per call, not per step."""
    from concurrent.futures import ThreadPoolExecutor

    async def run() -> None:
        with ThreadPoolExecutor(2) as threads:
            budget = evaluate.TimeBudget(0.5, threads)
            await budget.run(time.sleep, 0.3)
            with pytest.raises(evaluate.OutOfTime):
                await budget.run(time.sleep, 0.3)

    asyncio.run(run())
