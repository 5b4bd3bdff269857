"""SIGTERM while a hook call is in flight: the call still gets its whole answer.

The call's missing prefetch comes from a deliberately slow FHIR server, so it is certainly in
flight when the signal arrives (the FHIR server has counted its request). uvicorn then stops
accepting, lets the call finish (``serve`` gives it 20 s), and shuts the application down
(the advice recorder drains); with several workers the supervisor passes SIGTERM on to each.
"""

from __future__ import annotations

import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from service.pipeline.examples import load_fixture
from tests.conftest import FIXTURES, codes
from tests.integration.conftest import FhirTestServer, resources_of
from tests.servers import start

SIGN = "/cds-services/baclofen-order-sign"
DELAY_S = 3.0


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_call_in_flight_at_sigterm_is_answered_in_full(
    fhir_server: FhirTestServer, tmp_path: Path, workers: str
) -> None:
    fixture = load_fixture(FIXTURES / "03-increase-60-120-mg-day.json")
    space = f"shutdown-{workers}"
    base = fhir_server.space(space, resources_of(fixture.request["prefetch"]), delay_ms=3000)
    request = json.loads(json.dumps(fixture.request))
    del request["prefetch"]["conditions"]  # fetched, slowly
    request["fhirServer"] = base
    env = {
        "BACLOFEN_CDS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}",
        "BACLOFEN_CDS_TODAY": fixture.evaluation_date.isoformat(),
        "BACLOFEN_CDS_FHIR_TIMEOUT_S": "10",
        "BACLOFEN_CDS_LOG_LEVEL": "INFO",
    }
    server = start(tmp_path, env, "--workers", workers)
    try:
        server.wait_ready()
        with ThreadPoolExecutor(max_workers=1) as pool:
            answer = pool.submit(httpx.post, f"{server.base}{SIGN}", json=request, timeout=30)
            deadline = time.monotonic() + 10
            while fhir_server.counts(space)["requests"] == 0:
                assert time.monotonic() < deadline, "the call never reached the FHIR server"
                time.sleep(0.05)
            signalled = time.monotonic()
            server.terminate()
            response = answer.result()
    finally:
        returncode = server.wait()
    stopped_after = time.monotonic() - signalled

    assert response.status_code == 200, response.text
    found = codes(response.json())
    assert found["dose-above-max"] == "critical" and "data-missing" not in found
    assert returncode in (0, -signal.SIGTERM), server.log_text()[-4000:]
    assert stopped_after < DELAY_S + 10
    # The server began shutting down before it answered: the call was in flight throughout.
    lines = server.log_lines()
    shutting_down = next(n for n, line in enumerate(lines) if line["message"] == "Shutting down")
    answered = max(n for n, line in enumerate(lines) if line["message"] == "request")
    assert answered > shutting_down
    hook_line = lines[answered]
    assert (hook_line["route"], hook_line["status"]) == ("/cds-services/{service_id}", 200)
    assert hook_line["fetched"] == ["conditions"]
