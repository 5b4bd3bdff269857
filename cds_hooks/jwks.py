"""JSON Web Key Sets: the public keys a CDS client signs its JWTs with (RFC 7517).

A key set is parsed once, when it is configured or fetched. Entries the service could not use
safely are left out and each is named in ``KeySet.skipped``, so that a misconfigured issuer
shows up in the log instead of failing every call without a word.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from jwt import PyJWK
from jwt.exceptions import PyJWTError

# CDS Hooks recommends ES384 and RS384; the others are accepted for sites that need them.
# Never "none" and never HMAC: a shared secret would let the service forge the client's calls.
SIGNING_ALGORITHMS: Final = frozenset({"ES256", "ES384", "ES512", "RS256", "RS384", "RS512"})
_CURVE_OF: Final = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
_MIN_RSA_BITS: Final = 2048


class JwksError(ValueError):
    """The document is not a JSON Web Key Set at all."""


@dataclass(frozen=True)
class PublicKey:
    """One usable public signing key of a key set."""

    kid: str
    kty: str  # "RSA" or "EC"
    crv: str | None  # the EC curve; None for RSA
    alg: str | None  # the JWK's own "alg", when it restricts the key to one algorithm
    jwk: Mapping[str, Any]
    _prepared: dict[str, PyJWK] = field(default_factory=dict, compare=False, repr=False)

    def fits(self, alg: str) -> bool:
        """Whether a token signed with ``alg`` may be checked with this key."""
        if alg not in SIGNING_ALGORITHMS or (self.alg is not None and self.alg != alg):
            return False
        if alg.startswith("RS"):
            return self.kty == "RSA"
        return self.kty == "EC" and self.crv == _CURVE_OF[alg]

    def for_algorithm(self, alg: str) -> PyJWK:
        """The key bound to ``alg`` (call ``fits`` first); built once per algorithm."""
        prepared = self._prepared.get(alg)
        if prepared is None:
            prepared = PyJWK(dict(self.jwk), algorithm=alg)
            self._prepared[alg] = prepared
        return prepared


@dataclass(frozen=True)
class KeySet:
    keys: Mapping[str, PublicKey]
    skipped: tuple[str, ...] = ()  # why entries were left out, by kid; never key material

    def get(self, kid: str) -> PublicKey | None:
        return self.keys.get(kid)


def parse_jwks(document: Any) -> KeySet:
    """The usable signing keys of a JWKS document; raises ``JwksError`` if it is not one."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError('a JWKS is a JSON object with a "keys" list')
    keys: dict[str, PublicKey] = {}
    skipped: list[str] = []
    for position, entry in enumerate(document["keys"]):
        key, problem = _public_key(entry)
        if key is None:
            skipped.append(f"entry {position}: {problem}")
        elif key.kid in keys:
            skipped.append(f"entry {position}: kid {key.kid!r}: a second key with this kid")
        else:
            keys[key.kid] = key
    return KeySet(keys=keys, skipped=tuple(skipped))


def _public_key(entry: Any) -> tuple[PublicKey | None, str]:
    if not isinstance(entry, dict):
        return None, "an entry that is not a JSON object"
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid:
        # Tokens must name their key, so a key without a kid could never be selected.
        return None, "a key without a kid"
    name = f"kid {kid!r}"
    kty = entry.get("kty")
    if kty not in ("RSA", "EC"):
        return None, f"{name}: key type {kty!r} is not RSA or EC"
    if entry.get("use", "sig") != "sig":
        return None, f"{name}: not a signing key (use={entry.get('use')!r})"
    if "d" in entry:
        return None, f"{name}: holds private key material; publish only the public key"
    alg = entry.get("alg")
    if alg is not None and alg not in SIGNING_ALGORITHMS:
        return None, f"{name}: algorithm {alg!r} is not accepted"
    crv = entry.get("crv") if kty == "EC" else None
    if kty == "EC" and crv not in _CURVE_OF.values():
        return None, f"{name}: curve {crv!r} is not P-256, P-384 or P-521"
    key = PublicKey(kid=kid, kty=kty, crv=crv, alg=alg, jwk=dict(entry))
    try:
        # Building the key checks its material now rather than on the first token.
        probe = key.for_algorithm(alg or ("RS384" if kty == "RSA" else _algorithm_of(crv)))
    except (PyJWTError, ValueError, TypeError):
        return None, f"{name}: the key material is invalid"
    size = getattr(probe.key, "key_size", None)
    if kty == "RSA" and (not isinstance(size, int) or size < _MIN_RSA_BITS):
        return None, f"{name}: RSA keys shorter than {_MIN_RSA_BITS} bits are not accepted"
    return key, ""


def _algorithm_of(curve: Any) -> str:
    return next(alg for alg, crv in _CURVE_OF.items() if crv == curve)
