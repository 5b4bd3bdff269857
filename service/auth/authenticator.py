"""From an HTTP request to a verified ``Caller``, or a 401 that says nothing.

The expected audience is the URL being called: ``BACLOFEN_CDS_PUBLIC_BASE_URL`` plus the path.
A refusal is counted in ``JWT_REJECTIONS`` and logged with its reason code, and with the
issuer, kid and jti where known; the token itself is never logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.requests import Request

from cds_hooks.errors import unauthorized
from cds_hooks.jwt import (
    JwtVerifier,
    KeyLookup,
    ReplayCache,
    TimePolicy,
    TokenRejected,
    TrustedIssuer,
    bearer_token,
)
from service.auth.caller import Caller
from service.auth.keys import IssuerKeys
from service.auth.replay import MemoryReplayCache, RedisReplayCache
from service.observability.metrics import JWT_REJECTIONS
from service.settings import Settings

log = logging.getLogger("baclofen_cds.auth")


def audience_of(request: Request, public_base_url: str) -> str:
    """The URL the client called, as the service is known from outside."""
    path: str = request.scope.get("path", "/")
    root: str = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return public_base_url.rstrip("/") + "/" + path.lstrip("/")


class Authenticator:
    def __init__(
        self,
        settings: Settings,
        *,
        keys: KeyLookup | None = None,
        replay: ReplayCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.keys = keys if keys is not None else IssuerKeys(settings.trusted_issuers)
        if replay is None:
            replay = (
                RedisReplayCache.from_url(settings.redis_url)
                if settings.redis_url
                else MemoryReplayCache()
            )
        self.replay = replay
        issuers = {
            issuer: TrustedIssuer(jwks_url=config.jwks_url, tenants=frozenset(config.tenants))
            for issuer, config in settings.trusted_issuers.items()
        }
        self.verifier = JwtVerifier(
            issuers,
            self.keys,
            replay,
            clock=clock,
            policy=TimePolicy(leeway_s=settings.jwt_leeway_s),
        )

    async def authenticate(self, request: Request) -> Caller:
        audience = audience_of(request, self.settings.public_base_url)
        try:
            token = bearer_token(request.headers.get("authorization"))
            verified = await self.verifier.verify(token, audience)
        except TokenRejected as rejection:
            JWT_REJECTIONS.labels(reason=rejection.reason).inc()
            log.warning(
                "jwt rejected",
                extra={
                    "reason": rejection.reason,
                    "iss": rejection.issuer,
                    "kid": rejection.kid,
                    "jti": rejection.jti,
                    "path": request.url.path,
                },
            )
            raise unauthorized() from None
        issuer = self.settings.trusted_issuers[verified.issuer]
        log.debug(
            "jwt accepted",
            extra={
                "iss": verified.issuer,
                "kid": verified.kid,
                "jti": verified.jti,
                "tenant": verified.tenant,
                "sub": verified.subject,
            },
        )
        return Caller(
            issuer=verified.issuer,
            fhir_servers=tuple(issuer.fhir_servers),
            tenant=verified.tenant,
            client_id=verified.subject,
        )

    async def start(self) -> None:
        """At server start-up: say what is verified against what, and warn of risky setups."""
        settings = self.settings
        if not settings.trusted_issuers:
            log.error(
                "authentication is on but BACLOFEN_CDS_TRUSTED_ISSUERS is empty: "
                "every call to a protected endpoint will be refused"
            )
        if not settings.redis_url:
            # Several workers without Redis are refused by `serve`; replicas it cannot see.
            log.warning(
                "the JWT replay cache is in this process: with several replicas set "
                "BACLOFEN_CDS_REDIS_URL so that a token cannot be replayed against another one"
            )
        log.info(
            "verifying JWTs",
            extra={
                "issuers": sorted(settings.trusted_issuers),
                "audience_base": settings.public_base_url,
                "replay_cache": "redis" if settings.redis_url else "memory",
            },
        )
        if isinstance(self.keys, IssuerKeys):
            await self.keys.warm_up()

    async def aclose(self) -> None:
        for resource in (self.keys, self.replay):
            close = getattr(resource, "aclose", None)
            if close is not None:
                await close()
