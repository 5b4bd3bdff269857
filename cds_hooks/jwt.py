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

from jwt.exceptions import InvalidKeyError, PyJWKError, PyJWTError

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
_BASE64URL_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")
# JOSE header extensions a token may mark critical (RFC 7515 §4.1.11): only b64, as PyJWT.
_UNDERSTOOD_CRITICAL = frozenset({"b64"})

Rejecter = Callable[[Reason], TokenRejected]


def _unverified_segment(segment: str) -> dict[str, Any]:
    """A JSON object from a base64url token segment, or ``malformed``."""
    if not _BASE64URL.match(segment):
        raise TokenRejected("malformed")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        # RecursionError: a header nested thousands of levels deep, sent before any key is
        # known; it is malformed, not a server error.
        raise TokenRejected("malformed") from None
    if not isinstance(decoded, dict):
        raise TokenRejected("malformed")
    return decoded


def _strict_segment(segment: str) -> bytes | None:
    """The bytes of a canonical base64url segment, None for anything else.

    As strict as PyJWT's reading of a compact JWS: at most two ``=`` and only on a whole
    quantum, nothing outside the alphabet, and no second spelling of the same bytes.
    """
    stripped = segment.rstrip("=")
    padding = len(segment) - len(stripped)
    if padding > 2 or (padding and len(segment) % 4) or len(stripped) % 4 == 1:
        return None
    if not _BASE64URL_ALPHABET.fullmatch(stripped):
        return None
    try:
        decoded = base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except binascii.Error:
        return None
    if base64.urlsafe_b64encode(decoded).rstrip(b"=") != stripped.encode("ascii"):
        return None
    return decoded


def _understood_header(header: Mapping[str, Any]) -> bool:
    """Whether the header asks for nothing this verifier does not do.

    ``crit`` must be a non-empty list of extensions understood and present; an unencoded
    (``b64: false``) payload is never accepted, since a detached payload is not expected.
    """
    if "crit" in header:
        critical = header["crit"]
        if not isinstance(critical, list) or not critical:
            return False
        if any(
            not isinstance(name, str) or name not in _UNDERSTOOD_CRITICAL or name not in header
            for name in critical
        ):
            return False
    return header.get("b64", True) is not False


def _signed_parts(token: str, header: Mapping[str, Any]) -> tuple[bytes, bytes] | None:
    """The signing input and the signature of a well-formed compact JWS, else None."""
    signing_input, _, signature_segment = token.rpartition(".")
    header_segment, _, payload_segment = signing_input.partition(".")
    signature = _strict_segment(signature_segment)
    if (
        signature is None
        or _strict_segment(header_segment) is None
        or _strict_segment(payload_segment) is None
        or not _understood_header(header)
    ):
        return None
    return signing_input.encode("ascii"), signature


def _check_signature(
    token: str, header: Mapping[str, Any], public_key: PublicKey, alg: str, reject: Rejecter
) -> None:
    """The token's signature, checked with the key's primitive on the bytes already read.

    The header and claims were parsed once to learn whose key to use; decoding the whole
    token again through PyJWT would parse and validate them a second time.
    """
    try:
        jwk = public_key.for_algorithm(alg)
        algorithm = jwk.Algorithm
    except (InvalidKeyError, PyJWKError):
        raise reject("key-mismatch") from None
    except PyJWTError:
        raise reject("malformed") from None
    signed = _signed_parts(token, header)
    if signed is None:
        raise reject("malformed")
    signing_input, signature = signed
    try:
        prepared = algorithm.prepare_key(jwk.key)
    except (InvalidKeyError, PyJWKError):
        raise reject("key-mismatch") from None
    except PyJWTError:
        raise reject("malformed") from None
    if algorithm.check_key_length(prepared):  # a short RSA key, as PyJWT enforces
        raise reject("key-mismatch")
    if not algorithm.verify(signing_input, prepared, signature):
        raise reject("bad-signature")


def _unverified_token(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The header, the claims and the ``alg`` of a token, read before its signature is checked
    only to learn whose key to check it with."""
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise TokenRejected("malformed")
    header_segment, payload_segment, _ = token.split(".")
    header = _unverified_segment(header_segment)
    claims = _unverified_segment(payload_segment)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in SIGNING_ALGORITHMS:
        raise TokenRejected("alg-not-allowed")
    return header, claims, alg


def _signer(header: Mapping[str, Any], claims: Mapping[str, Any]) -> tuple[str, str]:
    """The ``kid`` and the issuer the token names."""
    kid = _text(header, "kid")
    issuer = _text(claims, "iss")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
        raise TokenRejected("malformed", issuer=_loggable(issuer), kid=_loggable(kid))
    if kid is None or issuer is None:
        raise TokenRejected("missing-claim", issuer=_loggable(issuer), kid=_loggable(kid))
    return kid, issuer


def _jti(claims: Mapping[str, Any], reject: Rejecter) -> str:
    jti = _text(claims, "jti")
    if jti is None:
        raise reject("malformed" if claims.get("jti") else "missing-claim")
    if len(jti) > _MAX_JTI_CHARS:
        raise reject("malformed")
    return jti


def _check_claim_types(claims: Mapping[str, Any], reject: Rejecter) -> None:
    for name in ("aud", "exp", "iat"):
        if claims.get(name) is None:
            raise reject("missing-claim")
    for name in ("sub", "tenant"):
        if name in claims and not isinstance(claims[name], str):
            raise reject("malformed")


def _check_audience(claims: Mapping[str, Any], audience: str, reject: Rejecter) -> None:
    aud = claims["aud"]
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        raise reject("malformed")
    if not any(same_url(candidate, audience) for candidate in audiences):
        raise reject("wrong-audience")


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

    async def verify(self, token: str, audience: str) -> VerifiedToken:
        """The verified token, if it was signed by a trusted issuer for ``audience``."""
        header, claims, alg = _unverified_token(token)
        kid, issuer = _signer(header, claims)

        def reject(reason: Reason, jti: str | None = None) -> TokenRejected:
            return TokenRejected(
                reason, issuer=_loggable(issuer), kid=_loggable(kid), jti=_loggable(jti)
            )

        trusted = self._trusted(issuer, header.get("jku"), reject)
        public_key = await self._public_key(issuer, kid, alg, reject)
        _check_signature(token, header, public_key, alg, reject)

        jti = _jti(claims, reject)
        expires_at = self._check_claims(claims, audience, trusted, lambda r: reject(r, jti))
        await self._first_use(issuer, jti, expires_at, lambda r: reject(r, jti))
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

    def _trusted(self, issuer: str, jku: Any, reject: Rejecter) -> TrustedIssuer:
        trusted = self.issuers.get(issuer)
        if trusted is None:
            raise reject("unknown-issuer")
        if jku is not None and (
            trusted.jwks_url is None or not isinstance(jku, str) or jku != trusted.jwks_url
        ):
            raise reject("jku-not-allowed")
        return trusted

    async def _public_key(self, issuer: str, kid: str, alg: str, reject: Rejecter) -> PublicKey:
        try:
            public_key = await self.keys.key(issuer, kid)
        except TokenRejected as rejection:
            raise reject(rejection.reason) from None
        if public_key is None:
            raise reject("unknown-kid")
        if not public_key.fits(alg):
            raise reject("key-mismatch")
        return public_key

    async def _first_use(self, issuer: str, jti: str, expires_at: float, reject: Rejecter) -> None:
        # Remembered for as long as the token could still be accepted, and a second more.
        remember_s = expires_at + self.policy.leeway_s - self.clock()
        replay_key = hashlib.sha256(f"{issuer}\n{jti}".encode()).hexdigest()
        try:
            first = await self.replay.first_use(replay_key, max(1, math.ceil(remember_s) + 1))
        except TokenRejected as rejection:
            raise reject(rejection.reason) from None
        if not first:
            raise reject("replayed")

    def _check_claims(
        self,
        claims: Mapping[str, Any],
        audience: str,
        trusted: TrustedIssuer,
        reject: Rejecter,
    ) -> float:
        """Checks every claim after the signature; returns ``exp``."""
        _check_claim_types(claims, reject)
        _check_audience(claims, audience, reject)
        expires_at = self._check_times(claims, reject)
        if trusted.tenants and claims.get("tenant") not in trusted.tenants:
            raise reject("wrong-tenant")
        return expires_at

    def _check_times(self, claims: Mapping[str, Any], reject: Rejecter) -> float:
        """``exp``, ``nbf`` and ``iat`` against the clock; returns ``exp``."""
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
        return exp


def _text(mapping: Mapping[str, Any], name: str) -> str | None:
    value = mapping.get(name)
    return value if isinstance(value, str) and value else None


def _number(mapping: Mapping[str, Any], name: str) -> float | None:
    value = mapping.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)  # an integer beyond 1e308 overflows
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _loggable(value: str | None) -> str | None:
    # Unverified header and claim values are the sender's text: bounded before they are logged.
    return None if value is None else value[:_LOGGABLE_CHARS]
