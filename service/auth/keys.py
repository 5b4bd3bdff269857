"""The trusted issuers' public keys: configured inline, or fetched from their JWKS URL.

Fetched key sets are cached and fetched again when older than ``max_age_s`` or when a token
names a kid we do not know (the issuer may have rotated its keys). Fetches are rate-limited per
issuer, so tokens with made-up kids cannot make us hammer an EHR's key endpoint.

A key endpoint can be slow, or drip its answer a byte at a time. So fetches run in the
background, one at a time per issuer, each within ``fetch_deadline_s`` as a whole (not per
read); start-up does not wait for them; a call never waits longer than ``caller_wait_s`` for
one (only when it has no key to check the token with: the first keys, or a rotated kid); and
while a refresh runs, the keys already held stay in use. When fetches keep failing the keys
held stay in use up to ``max_stale_s`` after they were fetched, then are dropped: with none at
all, calls are refused ("keys-unavailable") and the log says why.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
import orjson

from cds_hooks.jwks import JwksError, KeySet, PublicKey, parse_jwks
from cds_hooks.jwt import TokenRejected
from service.settings import IssuerSettings

log = logging.getLogger("baclofen_cds.auth")

MAX_JWKS_BYTES = 256 * 1024
MAX_AGE_S = 3600.0  # keys older than this are fetched again (in the background)
MAX_STALE_S = 24 * 3600.0  # keys older than this are no longer used, fetched or not
FETCH_DEADLINE_S = 10.0  # one fetch, from connecting to the last byte
CALLER_WAIT_S = 1.0  # the longest a call waits for a fetch in progress


class KeyConfigurationError(ValueError):
    """An inline key set that holds no usable key: the service must not start with it."""


@dataclass
class _Remote:
    url: str
    keys: KeySet | None = None
    fetched_at: float | None = None
    last_attempt: float | None = None
    refreshing: asyncio.Task[None] | None = None


class IssuerKeys:
    """``KeyLookup`` for the verifier, over the configured trusted issuers."""

    def __init__(
        self,
        issuers: Mapping[str, IssuerSettings],
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        min_refresh_interval_s: float = 10.0,
        max_age_s: float = MAX_AGE_S,
        max_stale_s: float = MAX_STALE_S,
        timeout_s: float = 5.0,
        fetch_deadline_s: float = FETCH_DEADLINE_S,
        caller_wait_s: float = CALLER_WAIT_S,
    ) -> None:
        self._inline: dict[str, KeySet] = {}
        self._remote: dict[str, _Remote] = {}
        for issuer, config in issuers.items():
            # Keys given inline are pinned: never fetched, even when a jwks_url is given too
            # (then only the jku the issuer's tokens may name).
            if config.jwks is not None:
                self._inline[issuer] = _inline_keys(issuer, config.jwks)
            elif config.jwks_url is not None:
                self._remote[issuer] = _Remote(config.jwks_url)
        self._http = http
        self._owns_http = http is None
        self.clock = clock
        self.min_refresh_interval_s = min_refresh_interval_s
        self.max_age_s = max_age_s
        self.max_stale_s = max_stale_s
        self.timeout_s = timeout_s
        self.fetch_deadline_s = fetch_deadline_s
        self.caller_wait_s = caller_wait_s

    async def key(self, issuer: str, kid: str) -> PublicKey | None:
        inline = self._inline.get(issuer)
        if inline is not None:
            return inline.get(kid)
        remote = self._remote.get(issuer)
        if remote is None:
            return None
        self._drop_if_too_old(issuer, remote)
        if remote.keys is None:
            await self._wait(self._refresh_soon(issuer, remote))  # the first keys
        elif self._stale(remote):
            self._refresh_soon(issuer, remote)  # meanwhile the keys we have serve
        found = remote.keys.get(kid) if remote.keys is not None else None
        if found is None and remote.keys is not None:
            await self._wait(self._refresh_soon(issuer, remote))  # a rotated key, perhaps
            found = remote.keys.get(kid) if remote.keys is not None else None
        if remote.keys is None:
            raise TokenRejected("keys-unavailable")
        return found

    async def warm_up(self) -> None:
        """Start fetching every issuer's key set, so a wrong URL shows in the log at start-up;
        returns at once: a slow key endpoint must not hold up the start (or other issuers)."""
        for issuer, remote in self._remote.items():
            self._refresh_soon(issuer, remote)

    async def settled(self) -> None:
        """Wait for the fetches in progress (tests, and orderly shutdowns)."""
        tasks = [r.refreshing for r in self._remote.values() if r.refreshing is not None]
        await asyncio.gather(*tasks, return_exceptions=True)

    async def aclose(self) -> None:
        for remote in self._remote.values():
            if remote.refreshing is not None and not remote.refreshing.done():
                remote.refreshing.cancel()
        await self.settled()
        if self._http is not None and self._owns_http:
            await self._http.aclose()
            self._http = None

    def _stale(self, remote: _Remote) -> bool:
        return remote.fetched_at is not None and self.clock() - remote.fetched_at > self.max_age_s

    def _drop_if_too_old(self, issuer: str, remote: _Remote) -> None:
        if remote.fetched_at is None or self.clock() - remote.fetched_at <= self.max_stale_s:
            return
        if remote.keys is not None:
            log.error(
                "jwks too old: the cached keys are no longer used",
                extra={"iss": issuer, "jwks_url": remote.url, "max_stale_s": self.max_stale_s},
            )
        remote.keys = None

    def _refresh_soon(self, issuer: str, remote: _Remote) -> asyncio.Task[None] | None:
        """The fetch in progress, or a new one if the rate limit allows; None if neither."""
        if remote.refreshing is not None and not remote.refreshing.done():
            return remote.refreshing
        now = self.clock()
        if (
            remote.last_attempt is not None
            and now - remote.last_attempt < self.min_refresh_interval_s
        ):
            return None
        remote.last_attempt = now
        # Its own context: the fetch's log lines belong to no one request.
        remote.refreshing = asyncio.get_running_loop().create_task(
            self._refresh(issuer, remote), name=f"jwks {issuer}", context=contextvars.Context()
        )
        return remote.refreshing

    async def _wait(self, task: asyncio.Task[None] | None) -> None:
        """Give a fetch in progress a short while; it goes on in the background after that."""
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=self.caller_wait_s)

    async def _refresh(self, issuer: str, remote: _Remote) -> None:
        try:
            async with asyncio.timeout(self.fetch_deadline_s):
                document = await self._fetch(remote.url)
            keys = parse_jwks(document)
        except (
            httpx.HTTPError, JwksError, orjson.JSONDecodeError, _FetchError, TimeoutError
        ) as error:  # fmt: skip
            # Our own messages (status, size, deadline) are safe to log; a library's are not
            # known to be, so for those the kind of error must do.
            if isinstance(error, TimeoutError):
                error = _FetchError(f"no complete answer within {self.fetch_deadline_s:g} s")
            detail = {"error": str(error)} if isinstance(error, _FetchError) else {}
            log.warning(
                "jwks fetch failed",
                extra={
                    "iss": issuer,
                    "jwks_url": remote.url,
                    "error_type": type(error).__name__,
                    "keeping_cached_keys": remote.keys is not None,
                    **detail,
                },
            )
            return
        for problem in keys.skipped:
            log.warning("jwks entry skipped", extra={"iss": issuer, "problem": problem})
        remote.keys, remote.fetched_at = keys, self.clock()
        log.info(
            "jwks fetched",
            extra={"iss": issuer, "jwks_url": remote.url, "kids": sorted(keys.keys)},
        )

    async def _fetch(self, url: str) -> object:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False)
        async with self._http.stream(
            "GET", url, headers={"Accept": "application/json"}, timeout=self.timeout_s
        ) as response:
            if response.status_code != 200:
                raise _FetchError(f"status {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > MAX_JWKS_BYTES:
                    raise _FetchError(f"larger than {MAX_JWKS_BYTES} bytes")
        return orjson.loads(bytes(body))


class _FetchError(Exception):
    pass


def _inline_keys(issuer: str, jwks: object) -> KeySet:
    try:
        keys = parse_jwks(jwks)
    except JwksError as error:
        raise KeyConfigurationError(f"trusted issuer {issuer}: jwks: {error}") from None
    if not keys.keys:
        raise KeyConfigurationError(
            f"trusted issuer {issuer}: jwks holds no usable signing key ({'; '.join(keys.skipped)})"
        )
    for problem in keys.skipped:
        log.warning("jwks entry skipped", extra={"iss": issuer, "problem": problem})
    return keys
