"""Two replicas: two ``baclofen-cds serve`` processes on their own ports, as behind a load
balancer, sharing one PostgreSQL database and one Redis, with authentication on.

They must answer the same patient alike, share the record of advice and feedback (feedback on
one replica for a card the other issued counts on both), and share the JWT replay cache: a
token one replica accepted is refused by the other.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from tests.api.store_client import FEEDBACK, SIGN, item
from tests.requirements import unavailable
from tests.servers import Server, start
from tests.tokens import ec_key, sign

Scenario = Callable[[str], dict[str, Any]]
REDIS_URL = "redis://127.0.0.1:6379/0"
PUBLIC_BASE = "https://cds.example.org"  # the load balancer's address: every token's aud
ISSUER = "https://ehr.replicas.example"
KEY = ec_key("replicas-1")
SYNC_WITHIN_S = 15


def token(path: str) -> str:
    """A token as a client with an inline key set sends it: no ``jku``."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": PUBLIC_BASE + path,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    return sign(claims, KEY)


def post(server: Server, path: str, body: Any, jwt: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {jwt or token(path)}"}
    return httpx.post(f"{server.base}{path}", json=body, headers=headers, timeout=30)


def redis_reachable() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        unavailable(f"Redis unreachable at {REDIS_URL}: {type(error).__name__}")
    finally:
        client.close()


@pytest.fixture
def replicas(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    redis_reachable()
    env = {
        "BACLOFEN_CDS_DATABASE_URL": postgres_url,
        "BACLOFEN_CDS_REDIS_URL": REDIS_URL,
        "BACLOFEN_CDS_AUTH_REQUIRED": "true",
        "BACLOFEN_CDS_TRUSTED_ISSUERS": json.dumps({ISSUER: {"jwks": KEY.jwks()}}),
        "BACLOFEN_CDS_PUBLIC_BASE_URL": PUBLIC_BASE,
        "BACLOFEN_CDS_LOG_LEVEL": "INFO",
    }
    # Started together: both migrate the same new database at once (an advisory lock).
    servers = [start(tmp_path, env, name=name) for name in ("replica-a", "replica-b")]
    try:
        for server in servers:
            server.wait_ready()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            if server.process.poll() is None:
                server.terminate()
        for server in servers:
            server.wait()


def card_summary(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["source"]["topic"]["code"], c["indicator"], c["summary"]) for c in body["cards"]]


def rules_on(server: Server) -> dict[str, tuple[int, int]]:
    """The analytics as the EHR reads them (its own cards: a JWT is required)."""
    headers = {"Authorization": f"Bearer {token('/analytics/rules')}"}
    response = httpx.get(f"{server.base}/analytics/rules", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return {row["rule"]: (row["issued"], row["overridden"]) for row in response.json()["rules"]}


def replays_refused(server: Server) -> float:
    text = httpx.get(f"{server.base}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "baclofen_cds_jwt_rejections_total"
        and sample.labels.get("reason") == "replayed"
    )


@pytest.mark.postgres
def test_two_replicas_serve_one_patient_alike_and_share_their_state(
    replicas: tuple[Server, Server], scenario: Scenario
) -> None:
    a, b = replicas
    request = scenario("03")

    from_a, from_b = post(a, SIGN, request), post(b, SIGN, request)
    assert from_a.status_code == from_b.status_code == 200, (from_a.text, from_b.text)
    assert card_summary(from_a.json()) == card_summary(from_b.json())
    assert "dose-above-max" in {code for code, _, _ in card_summary(from_a.json())}

    # Feedback to A on a card B issued: both replicas' analytics count it.
    card_from_b = next(
        c for c in from_b.json()["cards"] if c["source"]["topic"]["code"] == "dose-above-max"
    )
    feedback = post(a, FEEDBACK, {"feedback": [item(card_from_b["uuid"])]})
    assert feedback.status_code == 200, feedback.text
    assert feedback.json()["feedback"][0]["status"] == "stored"
    expected = (2, 1)  # issued once by each replica, overridden once
    deadline = time.monotonic() + SYNC_WITHIN_S  # each replica records its cards off-path
    while not (rules_on(a).get("dose-above-max") == rules_on(b).get("dose-above-max") == expected):
        assert time.monotonic() < deadline, (rules_on(a), rules_on(b))
        time.sleep(0.2)

    # A token A accepted is refused by B: the replay cache is Redis, not each process.
    jwt = token(SIGN)
    assert post(a, SIGN, request, jwt).status_code == 200
    refused_before = replays_refused(b)
    replayed = post(b, SIGN, request, jwt)
    assert replayed.status_code == 401
    assert replayed.headers["www-authenticate"].startswith("Bearer")
    assert replays_refused(b) == refused_before + 1
    assert post(b, SIGN, request).status_code == 200  # while B accepts a fresh token

    refusal = [line for line in b.log_lines() if line["message"] == "jwt rejected"]
    assert [line["reason"] for line in refusal] == ["replayed"]
    assert all(jwt not in line for line in (a.log_text(), b.log_text()))
