"""Verifying the JWT a CDS client sends with every call (CDS Hooks 2.0, "Trusting CDS Clients").

The checks are those of the spec and its best-practice page: an asymmetric ``alg``; ``kid``
selects one of the issuer's keys; ``iss`` is a trusted issuer; a ``jku`` is only accepted when
it is the issuer's configured key set URL; ``aud`` is the URL being called; ``exp``, ``nbf``
and ``iat`` against a clock with a little leeway; ``jti`` never seen before within the token's
lifetime; ``tenant`` when the issuer is configured with tenants.

Every refusal is a ``TokenRejected`` carrying a short reason code, for metrics and logs. The
reason is never sent to the caller: a 401 that explains itself teaches an attacker.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol
from urllib.parse import urlsplit

import jwt
from jwt.exceptions import InvalidKeyError, InvalidSignatureError, PyJWKError, PyJWTError

from cds_hooks.jwks import SIGNING_ALGORITHMS, PublicKey

Reason = Literal[
    "missing-token",  # no Authorization header, or not a Bearer token
    "malformed",  # not a compact JWS, or a header or claim of the wrong type
    "alg-not-allowed",  # none, HMAC or anything outside SIGNING_ALGORITHMS
    "missing-claim",  # kid, iss, aud, exp, iat or jti absent
    "unknown-issuer",
    "jku-not-allowed",
    "unknown-kid",
    "keys-unavailable",  # the issuer's key set could not be fetched
    "key-mismatch",  # the selected key cannot verify this alg (type, curve, size)
    "bad-signature",
    "wrong-audience",
    "expired",
    "not-yet-valid",  # nbf in the future
    "issued-in-future",  # iat in the future
    "lifetime-too-long",  # exp - iat beyond what the replay cache remembers
    "wrong-tenant",
    "replayed",
    "replay-check-unavailable",  # the replay cache could not be asked
]

MAX_TOKEN_CHARS: Final = 16_384  # far above any real CDS Hooks JWT; refuses parse-bombs
_MAX_JTI_CHARS: Final = 512
_LOGGABLE_CHARS: Final = 200


class TokenRejected(Exception):
    """The token is not acceptable. ``issuer``, ``kid`` and ``jti`` are as far as known, for
    the log line; all three are safe to log (the EHR's URL, a key id, a nonce)."""

    def __init__(
        self,
        reason: Reason,
        *,
        issuer: str | None = None,
        kid: str | None = None,
        jti: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason: Reason = reason
        self.issuer = issuer
        self.kid = kid
        self.jti = jti


@dataclass(frozen=True)
class TrustedIssuer:
    """What the verifier must know of one trusted client."""

    jwks_url: str | None = None  # the only jku accepted; None: a token naming a jku is refused
    tenants: frozenset[str] = frozenset()  # empty: the tenant claim is not checked


class KeyLookup(Protocol):
    async def key(self, issuer: str, kid: str) -> PublicKey | None:
        """The issuer's key with this kid, None if it has none.

        May raise ``TokenRejected("keys-unavailable")`` when the key set cannot be had."""
        ...


class ReplayCache(Protocol):
    async def first_use(self, key: str, ttl_seconds: int) -> bool:
        """Record ``key`` for ``ttl_seconds``; False if it was already recorded.

        Must be atomic across everything that shares the cache. May raise
        ``TokenRejected("replay-check-unavailable")``."""
        ...


@dataclass(frozen=True)
class TimePolicy:
    leeway_s: float = 60.0  # for exp and nbf: clocks of EHR and service differ a little
    iat_leeway_s: float = 5.0  # the sandbox's clock runs up to a second ahead
    # The replay cache remembers a jti until its token expires, so a token living longer
    # than this would have to be remembered longer: refuse it instead.
    max_lifetime_s: float = 3600.0


@dataclass(frozen=True)
class VerifiedToken:
    issuer: str
    kid: str
    alg: str
    jti: str
    expires_at: float
    subject: str | None = None  # Epic sends its client id as sub
    tenant: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not authorization:
        raise TokenRejected("missing-token")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise TokenRejected("missing-token")
    return token


def same_url(left: str, right: str) -> bool:
    """URLs equal up to the case of scheme and host, a default port and a trailing slash.

    User information and fragments are compared too: ``https://x@cds.example.org/...`` or
    ``...#x`` is another string, and no EHR is configured with one.
    """
    return _normal_url(left) == _normal_url(right)


def _normal_url(url: str) -> tuple[object, ...]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ("", url, None, "", "")
    scheme = parts.scheme.lower()
    if (scheme, port) in (("https", 443), ("http", 80)):
        port = None
    host = (parts.hostname or "").lower()
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else None
    return (scheme, userinfo, host, port, parts.path.rstrip("/"), parts.query, parts.fragment)


_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")


def _unverified_segment(segment: str) -> dict[str, Any]:
    """A JSON object from a base64url token segment, or ``malformed``."""
    if not _BASE64URL.match(segment):
        raise TokenRejected("malformed")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error):
        raise TokenRejected("malformed") from None
    if not isinstance(decoded, dict):
        raise TokenRejected("malformed")
    return decoded


class JwtVerifier:
    def __init__(
        self,
        issuers: Mapping[str, TrustedIssuer],
        keys: KeyLookup,
        replay: ReplayCache,
        *,
        clock: Callable[[], float] = time.time,
        policy: TimePolicy | None = None,
    ) -> None:
        self.issuers = issuers
        self.keys = keys
        self.replay = replay
        self.clock = clock
        self.policy = policy or TimePolicy()
        # Claims are checked below, each with its own reason code; PyJWT checks the signature.
        self._decoder = jwt.PyJWT(
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
                "verify_sub": False,
                "verify_jti": False,
                "enforce_minimum_key_length": True,
            }
        )

    async def verify(self, token: str, audience: str) -> VerifiedToken:
        """The verified token, if it was signed by a trusted issuer for ``audience``."""
        if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise TokenRejected("malformed")
        # Read before the signature is checked only to learn whose key to check it with; PyJWT
        # parses the token again, strictly, when it verifies the signature.
        header_segment, payload_segment, _ = token.split(".")
        header = _unverified_segment(header_segment)
        unverified = _unverified_segment(payload_segment)

        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in SIGNING_ALGORITHMS:
            raise TokenRejected("alg-not-allowed")
        kid = _text(header, "kid")
        issuer = _text(unverified, "iss")
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
            raise TokenRejected("malformed", issuer=_loggable(issuer), kid=_loggable(kid))
        if kid is None or issuer is None:
            raise TokenRejected("missing-claim", issuer=_loggable(issuer), kid=_loggable(kid))

        def reject(reason: Reason, jti: str | None = None) -> TokenRejected:
            return TokenRejected(
                reason, issuer=_loggable(issuer), kid=_loggable(kid), jti=_loggable(jti)
            )

        trusted = self.issuers.get(issuer)
        if trusted is None:
            raise reject("unknown-issuer")
        jku = header.get("jku")
        if jku is not None and (
            trusted.jwks_url is None or not isinstance(jku, str) or jku != trusted.jwks_url
        ):
            raise reject("jku-not-allowed")

        try:
            public_key = await self.keys.key(issuer, kid)
        except TokenRejected as rejection:
            raise reject(rejection.reason) from None
        if public_key is None:
            raise reject("unknown-kid")
        if not public_key.fits(alg):
            raise reject("key-mismatch")
        try:
            claims = self._decoder.decode(
                token, key=public_key.for_algorithm(alg), algorithms=[alg]
            )
        except InvalidSignatureError:
            raise reject("bad-signature") from None
        except (InvalidKeyError, PyJWKError):
            raise reject("key-mismatch") from None
        except PyJWTError:
            raise reject("malformed") from None

        jti = _text(claims, "jti")
        if jti is None:
            raise reject("malformed" if claims.get("jti") else "missing-claim")
        if len(jti) > _MAX_JTI_CHARS:
            raise reject("malformed")
        expires_at = self._check_claims(claims, audience, trusted, lambda r: reject(r, jti))

        # Remembered for as long as the token could still be accepted, and a second more.
        remember_s = expires_at + self.policy.leeway_s - self.clock()
        replay_key = hashlib.sha256(f"{issuer}\n{jti}".encode()).hexdigest()
        try:
            first = await self.replay.first_use(replay_key, max(1, math.ceil(remember_s) + 1))
        except TokenRejected as rejection:
            raise reject(rejection.reason, jti) from None
        if not first:
            raise reject("replayed", jti)
        return VerifiedToken(
            issuer=issuer,
            kid=kid,
            alg=alg,
            jti=jti,
            expires_at=expires_at,
            subject=_text(claims, "sub"),
            tenant=_text(claims, "tenant"),
            claims=claims,
        )

    def _check_claims(
        self,
        claims: Mapping[str, Any],
        audience: str,
        trusted: TrustedIssuer,
        reject: Callable[[Reason], TokenRejected],
    ) -> float:
        """Checks every claim after the signature; returns ``exp``."""
        for name in ("aud", "exp", "iat"):
            if claims.get(name) is None:
                raise reject("missing-claim")
        for name in ("sub", "tenant"):
            if name in claims and not isinstance(claims[name], str):
                raise reject("malformed")
        aud = claims["aud"]
        audiences = [aud] if isinstance(aud, str) else aud
        if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
            raise reject("malformed")
        if not any(same_url(candidate, audience) for candidate in audiences):
            raise reject("wrong-audience")

        exp, iat, nbf = (_number(claims, name) for name in ("exp", "iat", "nbf"))
        if exp is None or iat is None or ("nbf" in claims and nbf is None):
            raise reject("malformed")
        now = self.clock()
        policy = self.policy
        if now > exp + policy.leeway_s:
            raise reject("expired")
        if nbf is not None and now + policy.leeway_s < nbf:
            raise reject("not-yet-valid")
        if iat > now + policy.iat_leeway_s:
            raise reject("issued-in-future")
        if exp - iat > policy.max_lifetime_s:
            raise reject("lifetime-too-long")

        if trusted.tenants and claims.get("tenant") not in trusted.tenants:
            raise reject("wrong-tenant")
        return exp


def _text(mapping: Mapping[str, Any], name: str) -> str | None:
    value = mapping.get(name)
    return value if isinstance(value, str) and value else None


def _number(mapping: Mapping[str, Any], name: str) -> float | None:
    value = mapping.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _loggable(value: str | None) -> str | None:
    # Unverified header and claim values are the sender's text: bounded before they are logged.
    return None if value is None else value[:_LOGGABLE_CHARS]
