"""The replay cache over TLS with a password: ``rediss://:PASSWORD@HOST:PORT/DB?ssl_ca_certs=CA``.

Against a private redis-server that speaks only TLS and requires a password, with a
certificate for ``localhost`` signed by a CA made for the test (tests/private_servers.py). The
URL is read by redis-py as the service reads ``BACLOFEN_CDS_REDIS_URL``
(``RedisReplayCache.from_url``); every failure to establish the connection fails closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cds_hooks.jwt import TokenRejected
from service.auth.replay import RedisReplayCache
from service.clinical.knowledge import Knowledge
from tests.auth_support import JwksServer, bearer, client_for, make_auth_app
from tests.private_servers import PASSWORD, PrivateRedis, make_certificates, private_redis
from tests.tokens import audience, sandbox_token


@pytest.fixture(scope="module")
def redis_tls() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


async def test_a_token_used_at_one_replica_is_refused_at_another_over_tls(
    redis_tls: PrivateRedis, knowledge: Knowledge, scenario: Callable[[str], Any]
) -> None:
    jwks = JwksServer()
    token = sandbox_token(audience("/cds-services/baclofen-order-sign"))
    answers = []
    for _ in range(2):
        replica = RedisReplayCache.from_url(redis_tls.url())
        app = make_auth_app(knowledge, jwks, replay=replica)
        async with client_for(app) as client:
            response = await client.post(
                "/cds-services/baclofen-order-sign", json=scenario("03"), headers=bearer(token)
            )
            answers.append(response.status_code)
        await replica.aclose()
    assert answers == [200, 401]


@pytest.mark.parametrize("mistake", ["wrong password", "plain redis://", "another CA"])
async def test_the_cache_fails_closed_when_tls_or_the_password_fail(
    redis_tls: PrivateRedis, tmp_path: Path, mistake: str
) -> None:
    url = {
        "wrong password": lambda: redis_tls.url(password="not-the-password"),
        # The server speaks only TLS: a plain client gets no answer it can read.
        "plain redis://": lambda: f"redis://:{PASSWORD}@localhost:{redis_tls.port}/0",
        "another CA": lambda: redis_tls.url(ca=make_certificates(tmp_path / "other").ca),
    }[mistake]()
    cache = RedisReplayCache.from_url(url)
    try:
        with pytest.raises(TokenRejected) as caught:
            await cache.first_use("x", 10)
        assert caught.value.reason == "replay-check-unavailable"
    finally:
        await cache.aclose()


def test_tls_parameters_on_a_plain_url_are_refused_at_start_up() -> None:
    # redis-py would pass them on to a plain connection, which fails on every call with a
    # TypeError instead of a connection error: a misconfiguration must stop the start instead.
    with pytest.raises(ValueError, match="rediss://"):
        RedisReplayCache.from_url("redis://:pw@localhost:6380/0?ssl_ca_certs=/etc/ssl/ca.pem")
