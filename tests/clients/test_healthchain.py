"""HealthChain's SandboxClient (PyPI ``healthchain``), a CDS Hooks client nobody on this project
wrote, against a real ``baclofen-cds serve``.

Where the project stands with it: the client puts a random ``context.patientId`` beside a
Patient of its own in prefetch, and the service refuses that (advice on another patient's
record is the worst answer) with a 400 naming both ids and what to do. With the ids made to
agree, which the error message says how to do, the client's requests are answered and its own
response model accepts the answers, cards, suggestions and all. Its synthetic data uses
prefetch keys of its own, so the service answers it with a "checks incomplete" card.

HealthChain pins older FastAPI, fhir.resources and httpx than the service, so it lives in an
environment of its own, ``.venv-healthchain`` (made by ``scripts/test``), and is driven as a
process (``healthchain_driver.py``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, load_scenario
from tests.requirements import unavailable
from tests.servers import serving

HEALTHCHAIN_PYTHON = ROOT / ".venv-healthchain" / "bin" / "python"
DRIVER = Path(__file__).with_name("healthchain_driver.py")
PATIENT_VIEW = "/cds-services/baclofen-patient-view"
SCENARIO = "13-patient-view-cirrhosis-without-liver-tests.json"  # one card: monitoring-hepatic


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not HEALTHCHAIN_PYTHON.exists():
        unavailable(
            "needs HealthChain in .venv-healthchain (./scripts/test installs it from "
            "tests/clients/healthchain-constraints.txt)"
        )
    workdir = tmp_path_factory.mktemp("healthchain")
    prefetch = workdir / "prefetch.json"
    prefetch.write_text(json.dumps(load_scenario(SCENARIO)["request"]["prefetch"]))
    with serving(workdir, {}) as server:
        result = subprocess.run(
            [str(HEALTHCHAIN_PYTHON), str(DRIVER), server.base + PATIENT_VIEW, str(prefetch)],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
    assert result.returncode == 0, result.stderr[-4000:]
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


@pytest.mark.parametrize("loading", ["load_synthetic", "load_from_path"])
def test_as_healthchain_sends_them_the_ids_disagree_and_the_400_says_so(
    report: dict[str, Any], loading: str
) -> None:
    for answer in report[loading]["as_sent"]:
        assert answer["status"] == 400
        assert answer["context_patient_id"] != answer["prefetch_patient_id"]
        [issue] = answer["body"]["issue"]
        text = issue["diagnostics"]
        assert f"Patient '{answer['prefetch_patient_id']}'" in text
        assert f"context.patientId is '{answer['context_patient_id']}'" in text
        assert "set context.patientId to the prefetched Patient's id" in text


def test_synthetic_requests_with_the_ids_agreeing_are_answered(report: dict[str, Any]) -> None:
    answers = report["load_synthetic"]["aligned"]
    assert len(answers) == 2
    for answer in answers:
        # HealthChain's synthetic prefetch has keys of its own (patient, encounter, condition),
        # not the service's (medications, conditions, ...), and no fhirServer to fetch them
        # from: the service cannot tell whether baclofen is taken, and says so instead of
        # answering with silence.
        assert answer["parsed_by_healthchain"]
        [card] = answer["response"]["cards"]
        assert (card["source"]["topic"]["code"], card["indicator"]) == ("data-missing", "warning")
        assert "the medication list" in card["summary"]


def test_a_record_from_a_file_gets_its_card_and_healthchain_accepts_it(
    report: dict[str, Any],
) -> None:
    [answer] = report["load_from_path"]["aligned"]
    assert answer["parsed_by_healthchain"]
    [card] = answer["response"]["cards"]
    assert card["source"]["topic"]["code"] == "monitoring-hepatic"
    assert card["suggestions"][0]["actions"][0]["resource"]["resourceType"] == "ServiceRequest"
