"""The trusted issuers' keys: inline or fetched, cached, refreshed within a rate limit."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import httpx
import pytest

from cds_hooks.jwks import parse_jwks
from cds_hooks.jwt import TokenRejected
from service.auth.keys import MAX_JWKS_BYTES, IssuerKeys, KeyConfigurationError
from service.settings import IssuerSettings
from tests.tokens import SANDBOX_ISS, SANDBOX_JKU, SANDBOX_KID, ec_key, rsa_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Endpoint:
    """The issuer's JWKS URL: answers what it is told to, and counts the fetches."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.fetches = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == SANDBOX_JKU
        self.fetches += 1
        return self.responses[min(self.fetches, len(self.responses)) - 1]


def remote(endpoint: Endpoint, clock: Clock, **options: Any) -> IssuerKeys:
    issuers = {SANDBOX_ISS: IssuerSettings(jwks_url=SANDBOX_JKU)}
    http = httpx.AsyncClient(transport=httpx.MockTransport(endpoint.handler))
    return IssuerKeys(issuers, http=http, clock=clock, **options)


def ok(*kids: str) -> httpx.Response:
    return httpx.Response(200, json={"keys": [ec_key(kid).public_jwk() for kid in kids]})


async def test_fetches_once_and_caches() -> None:
    endpoint, clock = Endpoint(ok(SANDBOX_KID)), Clock()
    keys = remote(endpoint, clock)
    assert (await keys.key(SANDBOX_ISS, SANDBOX_KID)) is not None
    assert (await keys.key(SANDBOX_ISS, SANDBOX_KID)) is not None
    assert endpoint.fetches == 1


async def test_unknown_kid_refetches_at_most_once_per_interval() -> None:
    endpoint, clock = Endpoint(ok(SANDBOX_KID), ok(SANDBOX_KID, "new")), Clock()
    keys = remote(endpoint, clock, min_refresh_interval_s=10)
    await keys.key(SANDBOX_ISS, SANDBOX_KID)
    for _ in range(5):  # made-up kids do not make us hammer the EHR
        assert (await keys.key(SANDBOX_ISS, "new")) is None
    assert endpoint.fetches == 1
    clock.now += 11
    assert (await keys.key(SANDBOX_ISS, "new")) is not None
    assert endpoint.fetches == 2


async def test_concurrent_unknown_kids_share_one_fetch() -> None:
    endpoint, clock = Endpoint(ok(SANDBOX_KID)), Clock()
    keys = remote(endpoint, clock)
    found = await asyncio.gather(*(keys.key(SANDBOX_ISS, SANDBOX_KID) for _ in range(10)))
    assert all(key is not None for key in found)
    assert endpoint.fetches == 1


async def test_stale_keys_are_fetched_again() -> None:
    endpoint, clock = Endpoint(ok(SANDBOX_KID), ok("next")), Clock()
    keys = remote(endpoint, clock, max_age_s=3600)
    await keys.key(SANDBOX_ISS, SANDBOX_KID)
    clock.now += 3601
    assert (await keys.key(SANDBOX_ISS, "next")) is not None
    assert (await keys.key(SANDBOX_ISS, SANDBOX_KID)) is None  # rotated out
    assert endpoint.fetches == 2


async def test_a_failed_refresh_keeps_the_keys_we_had(caplog: pytest.LogCaptureFixture) -> None:
    endpoint, clock = Endpoint(ok(SANDBOX_KID), httpx.Response(503)), Clock()
    keys = remote(endpoint, clock, max_age_s=60)
    await keys.key(SANDBOX_ISS, SANDBOX_KID)
    clock.now += 61
    with caplog.at_level(logging.WARNING, logger="baclofen_cds.auth"):
        assert (await keys.key(SANDBOX_ISS, SANDBOX_KID)) is not None
        await keys.settled()  # the refresh runs in the background
    [record] = caplog.records
    assert record.getMessage() == "jwks fetch failed"
    assert record.error == "status 503" and record.keeping_cached_keys is True  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("response", "field", "logged"),
    [
        (httpx.Response(404), "error", "status 404"),
        (httpx.Response(302, headers={"Location": "https://evil.example/jwks"}), "error", "302"),
        (httpx.Response(200, content=b"<html>"), "error_type", "JSONDecodeError"),
        (httpx.Response(200, json={"no": "keys"}), "error_type", "JwksError"),
        (httpx.Response(200, content=b" " * (MAX_JWKS_BYTES + 1)), "error", "larger than"),
    ],
)
async def test_no_keys_at_all_refuses_with_keys_unavailable(
    response: httpx.Response, field: str, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    keys = remote(Endpoint(response), Clock())
    with caplog.at_level(logging.WARNING), pytest.raises(TokenRejected) as caught:
        await keys.key(SANDBOX_ISS, SANDBOX_KID)
    assert caught.value.reason == "keys-unavailable"
    assert logged in getattr(caplog.records[0], field)


async def test_network_failure_is_logged_by_kind() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    issuers = {SANDBOX_ISS: IssuerSettings(jwks_url=SANDBOX_JKU)}
    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    with pytest.raises(TokenRejected):
        await IssuerKeys(issuers, http=http).key(SANDBOX_ISS, SANDBOX_KID)


async def test_skipped_entries_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    document = {"keys": [ec_key().public_jwk(), {**ec_key("x").public_jwk(), "use": "enc"}]}
    keys = remote(Endpoint(httpx.Response(200, json=document)), Clock())
    with caplog.at_level(logging.WARNING):
        assert (await keys.key(SANDBOX_ISS, SANDBOX_KID)) is not None
    assert [r.getMessage() for r in caplog.records] == ["jwks entry skipped"]


async def test_warm_up_fetches_every_remote_key_set() -> None:
    endpoint = Endpoint(ok(SANDBOX_KID))
    keys = remote(endpoint, Clock())
    await keys.warm_up()
    await keys.settled()
    assert endpoint.fetches == 1
    await keys.key(SANDBOX_ISS, SANDBOX_KID)
    assert endpoint.fetches == 1


async def test_inline_keys_need_no_fetch_and_unknown_issuers_have_none() -> None:
    keys = IssuerKeys({"https://ehr.example": IssuerSettings(jwks=rsa_key().jwks())})
    assert (await keys.key("https://ehr.example", rsa_key().kid)) is not None
    assert (await keys.key("https://ehr.example", "other")) is None
    assert (await keys.key("https://unknown.example", rsa_key().kid)) is None
    await keys.aclose()


@pytest.mark.parametrize(
    "jwks",
    [{"keys": []}, {"keys": [{"kid": "k", "kty": "oct", "k": "c2VjcmV0"}]}, {"key": {}}],
)
def test_inline_key_set_without_a_usable_key_stops_the_start(jwks: dict[str, Any]) -> None:
    with pytest.raises(KeyConfigurationError, match=re.escape("https://ehr.example")):
        IssuerKeys({"https://ehr.example": IssuerSettings(jwks=jwks)})


async def test_owns_and_closes_its_http_client() -> None:
    keys = IssuerKeys({SANDBOX_ISS: IssuerSettings(jwks_url="http://127.0.0.1:9/jwks.json")})
    with pytest.raises(TokenRejected):  # nothing listens on the discard port
        await keys.key(SANDBOX_ISS, SANDBOX_KID)
    await keys.aclose()
    await keys.aclose()


# --- A slow key endpoint (found by a penetration test: a key set dripped one byte every 2 s
# delayed the start by 63 s, past the startup probe, and calls waited on it).


class Dripping(httpx.AsyncByteStream):
    """A body sent one byte at a time, ``pause_s`` apart."""

    def __init__(self, body: bytes, pause_s: float) -> None:
        self.body, self.pause_s = body, pause_s

    async def __aiter__(self) -> Any:
        for byte in self.body:
            await asyncio.sleep(self.pause_s)
            yield bytes([byte])


class SlowEndpoint:
    def __init__(self, *kids: str, pause_s: float = 2.0) -> None:
        self.body = ok(*kids).content
        self.pause_s = pause_s
        self.fetches = 0

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        return httpx.Response(200, stream=Dripping(self.body, self.pause_s))


def slow_remote(endpoint: SlowEndpoint, clock: Clock, **options: Any) -> IssuerKeys:
    issuers = {SANDBOX_ISS: IssuerSettings(jwks_url=SANDBOX_JKU)}
    http = httpx.AsyncClient(transport=httpx.MockTransport(endpoint.handler))
    return IssuerKeys(issuers, http=http, clock=clock, **options)


async def timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    try:
        return await call, time.perf_counter() - started
    except TokenRejected as rejection:
        return rejection, time.perf_counter() - started


async def test_warm_up_does_not_wait_for_a_slow_key_endpoint() -> None:
    keys = slow_remote(SlowEndpoint(SANDBOX_KID, pause_s=10.0), Clock())
    _, took = await timed(keys.warm_up())
    assert took < 3.0  # the fetch would take minutes at this pace
    await keys.aclose()


async def test_a_dripping_fetch_is_abandoned_at_its_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    keys = slow_remote(SlowEndpoint(SANDBOX_KID, pause_s=0.05), Clock(), fetch_deadline_s=0.5)
    with caplog.at_level(logging.WARNING):
        await keys.warm_up()
        _, took = await timed(keys.settled())
    assert took < 5  # the body would take about 25 s at this pace
    [record] = [r for r in caplog.records if r.getMessage() == "jwks fetch failed"]
    assert "within 0.5 s" in record.error  # type: ignore[attr-defined]
    await keys.aclose()


async def test_callers_do_not_queue_behind_a_slow_fetch() -> None:
    """Without keys yet, each caller waits at most caller_wait_s, all on one fetch."""
    endpoint = SlowEndpoint(SANDBOX_KID)
    keys = slow_remote(endpoint, Clock(), caller_wait_s=0.2)
    results = await asyncio.gather(*(timed(keys.key(SANDBOX_ISS, SANDBOX_KID)) for _ in range(10)))
    for result, took in results:
        assert isinstance(result, TokenRejected) and result.reason == "keys-unavailable"
        assert took < 2.0
    assert endpoint.fetches == 1
    await keys.aclose()


async def test_the_keys_held_serve_while_a_slow_refresh_runs() -> None:
    clock = Clock()
    endpoint = SlowEndpoint(SANDBOX_KID, pause_s=10.0)
    keys = slow_remote(endpoint, clock, max_age_s=60)
    issuers_keys = keys._remote[SANDBOX_ISS]
    issuers_keys.keys = parse_jwks({"keys": [ec_key(SANDBOX_KID).public_jwk()]})
    issuers_keys.fetched_at = clock.now
    clock.now += 61  # stale: a refresh is due, and the endpoint is slow
    found, took = await timed(keys.key(SANDBOX_ISS, SANDBOX_KID))
    assert found is not None and took < 3.0  # the refresh would take minutes
    refreshing = issuers_keys.refreshing
    assert refreshing is not None and not refreshing.done()  # started, in the background
    await keys.aclose()


async def test_keys_too_old_are_no_longer_used(caplog: pytest.LogCaptureFixture) -> None:
    """While the endpoint is down the keys held serve, but not for ever (max_stale_s)."""
    endpoint, clock = Endpoint(ok(SANDBOX_KID), httpx.Response(503)), Clock()
    keys = remote(endpoint, clock, max_age_s=60, max_stale_s=600)
    assert (await keys.key(SANDBOX_ISS, SANDBOX_KID)) is not None
    clock.now += 300
    assert (await keys.key(SANDBOX_ISS, SANDBOX_KID)) is not None  # stale, endpoint down
    await keys.settled()
    clock.now += 301
    with caplog.at_level(logging.ERROR), pytest.raises(TokenRejected) as refused:
        await keys.key(SANDBOX_ISS, SANDBOX_KID)
    assert refused.value.reason == "keys-unavailable"
    assert "jwks too old" in caplog.text
