"""Who is calling, as far as the service trusts it.

Authentication (JWT verification) produces a ``Caller``; with authentication off, the settings
do. The prefetch fetcher uses it to decide which FHIR servers it may contact: the issuer's
configured FHIR bases, or ``BACLOFEN_CDS_FHIR_ALLOWED_BASES`` when authentication is off.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit


@dataclass(frozen=True)
class Caller:
    issuer: str | None  # the verified JWT `iss`; None when authentication is off
    fhir_servers: tuple[str, ...]  # FHIR base URLs this caller may have us fetch from
    any_fhir_server: bool = False  # authentication off and no allow-list: local development
    tenant: str | None = None
    client_id: str | None = None  # JWT `sub` where the EHR sends one (Epic)

    @classmethod
    def unauthenticated(cls, allowed_bases: list[str]) -> Caller:
        return cls(
            issuer=None, fhir_servers=tuple(allowed_bases), any_fhir_server=not allowed_bases
        )

    def may_fetch_from(self, fhir_server: str) -> bool:
        """Whether ``fhir_server`` lies under one of this caller's FHIR bases.

        Stricter than ``startswith``: scheme, host and port must be equal and the path must
        continue at a segment boundary, so ``https://ehr.example/fhir`` admits neither
        ``https://ehr.example/fhir-other``, ``https://ehr.example.evil/fhir`` nor
        ``https://ehr.example/fhir/../admin``."""
        if self.any_fhir_server:
            return True
        candidate = _split(fhir_server)
        if candidate is None or candidate.query or candidate.fragment or candidate.username:
            return False
        segments = candidate.path.split("/")
        if any(
            s in (".", "..") or s.lower() in ("%2e", "%2e%2e", ".%2e", "%2e.") for s in segments
        ):
            return False
        return any(_under(candidate, base) for base in self.fhir_servers)


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts if parts.scheme in ("http", "https") and parts.hostname else None


def _under(candidate: SplitResult, base_url: str) -> bool:
    base = _split(base_url)
    if base is None:
        return False
    if (candidate.scheme, candidate.hostname, _port(candidate)) != (
        base.scheme,
        base.hostname,
        _port(base),
    ):
        return False
    prefix = base.path.rstrip("/")
    return candidate.path.rstrip("/") == prefix or candidate.path.startswith(prefix + "/")


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)
