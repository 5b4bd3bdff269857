"""Signing CDS Hooks JWTs in tests the way real clients do, with keys made for the test run.

- The CDS Hooks sandbox: ES384, header ``jku`` pointing at its public JWKS, ``exp`` = now + 300 s,
  a uuid ``jti``, no ``sub``, no ``tenant`` (cds-hooks/sandbox jwt-generator.js).
- Epic: RS384, ``sub`` = its CDS Hooks client id, ``nbf`` about five minutes before ``iat``,
  ``exp`` = ``iat`` + 900 s, ``jku`` to its public keys endpoint.

The private keys are generated here: the sandbox's real private key is public and must never be
trusted, and no test may depend on a key committed to the repository.
"""

from __future__ import annotations

import base64
import functools
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

SANDBOX_ISS = "https://sandbox.cds-hooks.org"
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"

EPIC_ISS = "https://fhir.example-health.org/interconnect-fhir-oauth/api/FHIR/R4"
EPIC_JKU = (
    "https://fhir.example-health.org/interconnect-fhir-oauth/api/epic/2019/Security/Open/"
    "PublicKeys/530005/OIDC"
)
EPIC_KID = "epic-cds-2026"
EPIC_CLIENT_ID = "d45049c3-3441-40ef-ab4d-b9cd86a17225"
EPIC_FHIR = "https://fhir.example-health.org/interconnect-fhir-oauth/api/FHIR/R4"

PUBLIC_BASE = "http://localhost:8080"  # tests.conftest.PUBLIC_BASE_URL


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private: Any

    def public_jwk(self, **extra: Any) -> dict[str, Any]:
        family = ECAlgorithm if self.alg.startswith("ES") else RSAAlgorithm
        jwk: dict[str, Any] = json.loads(family.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.alg, **extra}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}


@functools.cache
def ec_key(kid: str = SANDBOX_KID, alg: str = "ES384") -> SigningKey:
    curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
    return SigningKey(kid, alg, ec.generate_private_key(curve))


@functools.cache
def rsa_key(kid: str = EPIC_KID, alg: str = "RS384", bits: int = 2048) -> SigningKey:
    return SigningKey(kid, alg, rsa.generate_private_key(public_exponent=65537, key_size=bits))


def sign(claims: dict[str, Any], key: SigningKey, **header: Any) -> str:
    headers = {"typ": "JWT", "kid": key.kid, **header}
    alg = headers.pop("alg", key.alg)
    return jwt.encode(_present(claims), key.private, algorithm=alg, headers=_present(headers))


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A token assembled by hand, for shapes no signing library would produce."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return ".".join(
        (part(json.dumps(header).encode()), part(json.dumps(claims).encode()), part(signature))
    )


def audience(path: str) -> str:
    return PUBLIC_BASE + path


def sandbox_claims(aud: Any, now: float | None = None, **overrides: Any) -> dict[str, Any]:
    now = time.time() if now is None else now
    claims = {
        "iss": SANDBOX_ISS,
        "aud": aud,
        "exp": int(now) + 300,
        "iat": int(now),
        "jti": str(uuid.uuid4()),
    }
    return {**claims, **overrides}


def sandbox_token(aud: Any, now: float | None = None, **overrides: Any) -> str:
    """A token as the sandbox signs it. A claim set to None in ``overrides`` is left out."""
    return sign(sandbox_claims(aud, now, **overrides), ec_key(), jku=SANDBOX_JKU)


def epic_claims(aud: Any, now: float | None = None, **overrides: Any) -> dict[str, Any]:
    now = time.time() if now is None else now
    claims = {
        "iss": EPIC_ISS,
        "sub": EPIC_CLIENT_ID,
        "aud": aud,
        "jti": uuid.uuid4().hex,
        "nbf": int(now) - 300,
        "iat": int(now),
        "exp": int(now) + 900,
    }
    return {**claims, **overrides}


def epic_token(aud: Any, now: float | None = None, **overrides: Any) -> str:
    return sign(epic_claims(aud, now, **overrides), rsa_key(), jku=EPIC_JKU)


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}
