"""Who is calling, as far as the service trusts it.

Authentication (JWT verification) produces a ``Caller``; with authentication off, the settings
do. The prefetch fetcher uses it to decide which FHIR servers it may contact: the issuer's
configured FHIR bases, or ``BACLOFEN_CDS_FHIR_ALLOWED_BASES`` when authentication is off (and
loopback servers only when that list is empty too).
"""

from __future__ import annotations

from dataclasses import dataclass

from service.fhir.servers import NotPermittedError, permitted_base


@dataclass(frozen=True)
class Caller:
    issuer: str | None  # the verified JWT `iss`; None when authentication is off
    fhir_servers: tuple[str, ...]  # FHIR base URLs this caller may have us fetch from
    loopback_fhir_servers: bool = False  # authentication off, no allow-list: loopback only
    tenant: str | None = None
    client_id: str | None = None  # JWT `sub` where the EHR sends one (Epic)

    @classmethod
    def unauthenticated(cls, allowed_bases: list[str]) -> Caller:
        return cls(
            issuer=None, fhir_servers=tuple(allowed_bases), loopback_fhir_servers=not allowed_bases
        )

    def may_fetch_from(self, fhir_server: str) -> bool:
        """Whether ``fhir_server`` lies under one of this caller's FHIR bases (the rules are
        those of ``service.fhir.servers``: same scheme, host and port, path continuing at a
        segment boundary, https except on loopback)."""
        try:
            permitted_base(fhir_server, self.fhir_servers, loopback_only=self.loopback_fhir_servers)
        except NotPermittedError:
            return False
        return True
