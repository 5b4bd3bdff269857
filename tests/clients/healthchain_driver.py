"""Drives HealthChain's SandboxClient against a running baclofen-cds (run by .venv-healthchain's
Python, not the service's: the two cannot share an environment).

    .venv-healthchain/bin/python tests/clients/healthchain_driver.py URL PREFETCH_JSON

URL is the patient-view service's URL; PREFETCH_JSON a file of prefetch for it. Prints one JSON
object: for each way of loading requests that the client offers (``load_synthetic``,
``load_from_path``), what the service answered to the requests as HealthChain builds them, and
to the same requests once ``context.patientId`` names the prefetched Patient; and whether
HealthChain's own CDSResponse model accepts the service's answers.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import httpx
from healthchain.models import CDSResponse
from healthchain.sandbox import SandboxClient


def as_sent(client: SandboxClient) -> list[dict[str, Any]]:
    """Status and body of each request as the client builds it (send_requests hides errors)."""
    answers = []
    for request in client.requests:
        body = request.model_dump(exclude_none=True, mode="json")
        response = httpx.post(str(client.url), json=body, timeout=60)
        answers.append(
            {
                "status": response.status_code,
                "body": response.json(),
                "context_patient_id": body["context"]["patientId"],
                "prefetch_patient_id": body["prefetch"]["patient"]["id"],
            }
        )
    return answers


def aligned(client: SandboxClient) -> list[dict[str, Any]]:
    """The client's own send_requests, with context.patientId set to the prefetched Patient."""
    for request in client.requests:
        prefetch = request.model_dump(exclude_none=True, mode="json")["prefetch"]
        request.context.patientId = prefetch["patient"]["id"]
    responses = client.send_requests()
    return [
        {"response": response, "parsed_by_healthchain": _parses(response)} for response in responses
    ]


def _parses(response: dict[str, Any]) -> bool:
    try:
        CDSResponse(**response)
    except Exception:
        return False
    return bool(response)


def main(url: str, prefetch_path: str) -> None:
    synthetic = SandboxClient(url=url, workflow="patient-view", timeout=60)
    synthetic.load_synthetic(n=2, random_seed=16)
    from_path = SandboxClient(url=url, workflow="patient-view", timeout=60)
    from_path.load_from_path(prefetch_path)
    report = {
        "load_synthetic": {"as_sent": as_sent(synthetic), "aligned": aligned(synthetic)},
        "load_from_path": {"as_sent": as_sent(from_path), "aligned": aligned(from_path)},
    }
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
