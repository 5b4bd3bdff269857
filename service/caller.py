"""Who is calling, as far as the service trusts it.

Authentication (JWT verification) produces a ``Caller``; with authentication off, the settings
do. The prefetch fetcher uses it to decide which FHIR servers it may contact: the issuer's
configured FHIR bases, or ``BACLOFEN_CDS_FHIR_ALLOWED_BASES`` when authentication is off.
"""

from __future__ import annotations

from dataclasses import dataclass


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
