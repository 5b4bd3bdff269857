"""The jti replay cache, in memory and in Redis (the real server at 127.0.0.1:6379)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cds_hooks.jwt import TokenRejected
from service.auth.replay import MemoryReplayCache, RedisReplayCache
from service.clinical.knowledge import Knowledge
from tests.auth_support import JwksServer, bearer, client_for, make_auth_app, rejections
from tests.requirements import unavailable
from tests.tokens import audience, sandbox_token

REDIS_URL = "redis://127.0.0.1:6379/0"


async def test_memory_cache_remembers_until_the_ttl_passes() -> None:
    now = [100.0]
    cache = MemoryReplayCache(clock=lambda: now[0])
    assert await cache.first_use("a", 60)
    assert not await cache.first_use("a", 60)
    now[0] += 59
    assert not await cache.first_use("a", 60)
    now[0] += 1
    assert await cache.first_use("a", 60)  # the token it stood for has expired by now


async def test_memory_cache_forgets_expired_entries() -> None:
    now = [0.0]
    cache = MemoryReplayCache(clock=lambda: now[0])
    for number in range(100):
        await cache.first_use(f"k{number}", 10)
    now[0] = 11
    await cache.first_use("late", 10)
    assert len(cache) == 1


async def test_a_full_memory_cache_refuses_rather_than_forgets() -> None:
    """Was unbounded: every accepted token's jti held for its lifetime, however many."""
    now = [0.0]
    cache = MemoryReplayCache(clock=lambda: now[0], max_entries=3)
    for number in range(3):
        assert await cache.first_use(f"k{number}", 10)
    with pytest.raises(TokenRejected) as refused:
        await cache.first_use("k3", 10)
    assert refused.value.reason == "replay-check-unavailable"
    assert not await cache.first_use("k0", 10)  # a replay is still a replay
    now[0] = 11  # the entries expire: room again
    assert await cache.first_use("k3", 10)
    assert len(cache) == 1


@pytest.fixture
async def redis_cache() -> AsyncIterator[RedisReplayCache]:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        await client.aclose()
        unavailable(f"Redis at 127.0.0.1:6379 is unreachable ({type(error).__name__})")
    prefix = f"baclofen-cds-test:{uuid.uuid4()}:"
    cache = RedisReplayCache(client, prefix)
    yield cache
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await cache.aclose()


async def test_redis_cache_sets_once_with_the_ttl(redis_cache: RedisReplayCache) -> None:
    assert await redis_cache.first_use("jti-hash", 361)
    assert not await redis_cache.first_use("jti-hash", 361)
    ttl = await redis_cache.client.ttl(redis_cache.prefix + "jti-hash")
    assert 355 <= ttl <= 361


async def test_two_replicas_share_the_cache(redis_cache: RedisReplayCache) -> None:
    other = RedisReplayCache.from_url(REDIS_URL, prefix=redis_cache.prefix)
    try:
        assert await redis_cache.first_use("shared", 30)
        assert not await other.first_use("shared", 30)
    finally:
        await other.aclose()


async def test_unreachable_redis_fails_closed() -> None:
    cache = RedisReplayCache.from_url("redis://127.0.0.1:9/0")  # nothing listens there
    try:
        with pytest.raises(TokenRejected) as caught:
            await cache.first_use("x", 10)
        assert caught.value.reason == "replay-check-unavailable"
    finally:
        await cache.aclose()


async def test_a_token_used_at_one_replica_is_refused_at_another(
    redis_cache: RedisReplayCache, knowledge: Knowledge, scenario: Callable[[str], Any]
) -> None:
    jwks = JwksServer()
    token = sandbox_token(audience("/cds-services/baclofen-order-sign"))
    answers = []
    for _ in range(2):
        replica = RedisReplayCache.from_url(REDIS_URL, prefix=redis_cache.prefix)
        app = make_auth_app(knowledge, jwks, replay=replica)
        async with client_for(app) as client:
            response = await client.post(
                "/cds-services/baclofen-order-sign", json=scenario("03"), headers=bearer(token)
            )
            answers.append(response.status_code)
        await replica.aclose()
    assert answers == [200, 401]


async def test_with_redis_down_authenticated_calls_are_refused_and_the_rest_answers(
    knowledge: Knowledge, scenario: Callable[[str], Any]
) -> None:
    # Fail closed: without the shared cache a replay cannot be ruled out, so a valid token is
    # refused (401, counted as replay-check-unavailable); probes and rule pages still answer.
    replay = RedisReplayCache.from_url("redis://127.0.0.1:9/0")  # nothing listens there
    app = make_auth_app(knowledge, JwksServer(), replay=replay)
    before = rejections("replay-check-unavailable")
    token = sandbox_token(audience("/cds-services/baclofen-order-sign"))
    try:
        async with client_for(app) as client:
            response = await client.post(
                "/cds-services/baclofen-order-sign", json=scenario("03"), headers=bearer(token)
            )
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/knowledge/rules")).status_code == 200
    finally:
        await replay.aclose()
    assert rejections("replay-check-unavailable") - before == 1
