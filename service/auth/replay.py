"""The ``jti`` replay cache: in this process by default, in Redis when replicas must share it.

Keys arrive already hashed (issuer and jti), so nothing the caller chose reaches Redis as is.
Both caches fail closed: if the cache cannot be asked, the call is refused, because accepting
it would accept a replay.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

from cds_hooks.jwt import TokenRejected

log = logging.getLogger("baclofen_cds.auth")

DEFAULT_REDIS_PREFIX = "baclofen-cds:jti:"


# Tokens live an hour at most: this many is some 55 a second for an hour, from one process
# (about 30 MB). Beyond it the cache refuses rather than forgets: forgetting a live token's
# jti would let it be replayed.
MAX_MEMORY_ENTRIES = 200_000


class MemoryReplayCache:
    """One process's memory. With several workers or replicas, use ``RedisReplayCache``."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_MEMORY_ENTRIES
    ) -> None:
        self.clock = clock
        self.max_entries = max_entries
        self._expiry: dict[str, float] = {}
        self._queue: list[tuple[float, str]] = []

    async def first_use(self, key: str, ttl_seconds: int) -> bool:
        now = self.clock()
        self._forget_expired(now)
        if key in self._expiry:
            return False
        if len(self._expiry) >= self.max_entries:
            log.error(
                "replay cache full: tokens refused until entries expire (use Redis)",
                extra={"entries": len(self._expiry)},
            )
            raise TokenRejected("replay-check-unavailable")
        expires = now + ttl_seconds
        self._expiry[key] = expires
        heapq.heappush(self._queue, (expires, key))
        return True

    def __len__(self) -> int:
        return len(self._expiry)

    def _forget_expired(self, now: float) -> None:
        while self._queue and self._queue[0][0] <= now:
            _, key = heapq.heappop(self._queue)
            del self._expiry[key]


class RedisReplayCache:
    """``SET key NX EX ttl``: atomic in Redis, so two replicas never both accept a token."""

    def __init__(self, client: Redis, prefix: str = DEFAULT_REDIS_PREFIX) -> None:
        self.client = client
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str = DEFAULT_REDIS_PREFIX) -> RedisReplayCache:
        """``redis://`` or, with TLS, ``rediss://`` (``?ssl_ca_certs=FILE`` for a private CA)."""
        parsed = urlsplit(url)
        tls_parameters = [name for name in parse_qs(parsed.query) if name.startswith("ssl_")]
        if tls_parameters and parsed.scheme != "rediss":
            # redis-py would hand them to a plain connection, which then fails on every call
            # with a TypeError: refused here, at start-up, instead.
            raise ValueError(f"{tls_parameters[0]} needs a rediss:// URL, not {parsed.scheme}://")
        # Short timeouts: a hook call has about half a second, and a hung Redis must not eat it.
        client = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        return cls(client, prefix)

    async def first_use(self, key: str, ttl_seconds: int) -> bool:
        try:
            stored = await self.client.set(self.prefix + key, b"1", nx=True, ex=ttl_seconds)
        except RedisError as error:
            # The URL may carry a password: only the kind of failure is logged.
            log.error("replay cache unavailable", extra={"error_type": type(error).__name__})
            raise TokenRejected("replay-check-unavailable") from None
        return bool(stored)

    async def aclose(self) -> None:
        await self.client.aclose()
