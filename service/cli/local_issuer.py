"""A local test issuer, FOR TESTING ONLY: a stand-in EHR that signs CDS Hooks JWTs.

With authentication on, every hook call needs a JWT signed by a trusted issuer. This makes one
on the tester's machine: an ES384 key pair kept in a directory, the value of
``BACLOFEN_CDS_TRUSTED_ISSUERS`` that trusts it (its public key inline, so nothing needs to be
fetched), and tokens as CDS Hooks 2.0 clients sign them (``iss``, ``aud`` = the service URL
called, ``iat``, ``exp``, a new ``jti`` each, header ``kid``).

Anyone who can read the directory can sign as this issuer: trust it on a test system only.
Its name ends in ``.invalid`` (RFC 2606), so that it is never mistaken for a real EHR.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

DEFAULT_ISSUER = "https://test-issuer.invalid"
ALGORITHM = "ES384"
PRIVATE_KEY_FILE = "private-key.pem"
DESCRIPTION_FILE = "issuer.json"
# As the CDS Hooks sandbox signs: five minutes. The service accepts at most an hour.
DEFAULT_LIFETIME_S = 300
MAX_LIFETIME_S = 3600


class IssuerDirectoryError(Exception):
    """The directory holds no test issuer, or one that cannot be read."""


@dataclass(frozen=True)
class LocalTestIssuer:
    issuer: str
    kid: str
    fhir_servers: tuple[str, ...]
    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(
        cls, directory: Path, *, issuer: str = DEFAULT_ISSUER, fhir_servers: tuple[str, ...] = ()
    ) -> LocalTestIssuer:
        """A new key pair written to ``directory`` (made if need be; never overwritten)."""
        key_path = directory / PRIVATE_KEY_FILE
        if key_path.exists():
            raise IssuerDirectoryError(f"{directory} already holds a test issuer ({key_path.name})")
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP384R1())
        made = cls(issuer, f"test-{uuid.uuid4().hex[:12]}", fhir_servers, key)
        pem = made.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Readable by its owner only, as a private key should be, test or not.
        key_path.touch(mode=0o600)
        key_path.write_bytes(pem)
        description = {
            "warning": "FOR TESTING ONLY: anyone who can read this directory can sign as it",
            "issuer": made.issuer,
            "kid": made.kid,
            "fhir_servers": list(made.fhir_servers),
        }
        (directory / DESCRIPTION_FILE).write_text(json.dumps(description, indent=2) + "\n")
        return made

    @classmethod
    def load(cls, directory: Path) -> LocalTestIssuer:
        try:
            description = json.loads((directory / DESCRIPTION_FILE).read_text())
            pem = (directory / PRIVATE_KEY_FILE).read_bytes()
        except FileNotFoundError:
            raise IssuerDirectoryError(
                f"{directory} holds no test issuer: make one with "
                f"`baclofen-cds test-issuer create {directory}`"
            ) from None
        except (OSError, ValueError) as error:
            raise IssuerDirectoryError(
                f"cannot read the test issuer in {directory}: {error}"
            ) from None
        try:
            key = serialization.load_pem_private_key(pem, password=None)
            issuer = str(description["issuer"])
            kid = str(description["kid"])
            fhir_servers = tuple(str(url) for url in description["fhir_servers"])
        except (ValueError, TypeError, KeyError) as error:
            raise IssuerDirectoryError(
                f"the test issuer in {directory} is damaged: {error!r}"
            ) from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise IssuerDirectoryError(f"{directory / PRIVATE_KEY_FILE} is not an EC private key")
        return cls(issuer, kid, fhir_servers, key)

    def public_jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}

    def trusted_issuers(self) -> dict[str, Any]:
        """The value of BACLOFEN_CDS_TRUSTED_ISSUERS that trusts this issuer."""
        return {self.issuer: {"jwks": self.public_jwks(), "fhir_servers": list(self.fhir_servers)}}

    def token(
        self, audience: str, *, lifetime_s: int = DEFAULT_LIFETIME_S, now: float | None = None
    ) -> str:
        """A JWT for one call of ``audience`` (the full URL called); each has its own ``jti``."""
        issued = int(time.time() if now is None else now)
        claims = {
            "iss": self.issuer,
            "aud": audience,
            "iat": issued,
            "exp": issued + lifetime_s,
            "jti": str(uuid.uuid4()),
        }
        headers = {"typ": "JWT", "kid": self.kid}
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM, headers=headers)
