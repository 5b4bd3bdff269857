"""The trusted issuers' public keys: configured inline, or fetched from their JWKS URL.

Fetched key sets are cached and fetched again when older than ``max_age_s`` or when a token
names a kid we do not know (the issuer may have rotated its keys). Fetches are rate-limited per
issuer, so tokens with made-up kids cannot make us hammer an EHR's key endpoint. When a fetch
fails the keys we had stay in use; with none at all, calls are refused ("keys-unavailable").
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx
import orjson

from cds_hooks.jwks import JwksError, KeySet, PublicKey, parse_jwks
from cds_hooks.jwt import TokenRejected
from service.settings import IssuerSettings

log = logging.getLogger("baclofen_cds.auth")

MAX_JWKS_BYTES = 256 * 1024


class KeyConfigurationError(ValueError):
    """An inline key set that holds no usable key: the service must not start with it."""


@dataclass
class _Remote:
    url: str
    keys: KeySet | None = None
    fetched_at: float | None = None
    last_attempt: float | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class IssuerKeys:
    """``KeyLookup`` for the verifier, over the configured trusted issuers."""

    def __init__(
        self,
        issuers: Mapping[str, IssuerSettings],
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        min_refresh_interval_s: float = 10.0,
        max_age_s: float = 3600.0,
        timeout_s: float = 5.0,
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
        self.timeout_s = timeout_s

    async def key(self, issuer: str, kid: str) -> PublicKey | None:
        inline = self._inline.get(issuer)
        if inline is not None:
            return inline.get(kid)
        remote = self._remote.get(issuer)
        if remote is None:
            return None
        if remote.keys is None or self._stale(remote):
            await self._refresh(issuer, remote)
        found = remote.keys.get(kid) if remote.keys is not None else None
        if found is None and remote.keys is not None:
            await self._refresh(issuer, remote)  # a rotated key, perhaps
            found = remote.keys.get(kid)
        if remote.keys is None:
            raise TokenRejected("keys-unavailable")
        return found

    async def warm_up(self) -> None:
        """Fetch every issuer's key set once, so a wrong URL shows in the log at start-up."""
        await asyncio.gather(*(self._refresh(i, r) for i, r in self._remote.items()))

    async def aclose(self) -> None:
        if self._http is not None and self._owns_http:
            await self._http.aclose()
            self._http = None

    def _stale(self, remote: _Remote) -> bool:
        return remote.fetched_at is not None and self.clock() - remote.fetched_at > self.max_age_s

    async def _refresh(self, issuer: str, remote: _Remote) -> None:
        async with remote.lock:
            now = self.clock()
            # Whoever waited on the lock finds the attempt just made and uses its result.
            if (
                remote.last_attempt is not None
                and now - remote.last_attempt < self.min_refresh_interval_s
            ):
                return
            remote.last_attempt = now
            try:
                document = await self._fetch(remote.url)
                keys = parse_jwks(document)
            except (httpx.HTTPError, JwksError, orjson.JSONDecodeError, _FetchError) as error:
                # Our own messages (status, size) are safe to log; a library's are not known
                # to be, so for those the kind of error must do.
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
            remote.keys, remote.fetched_at = keys, now
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
