"""Where missing prefetch data comes from: the caller's ``fhirServer``, when it may be contacted.

For each hook call, ``PrefetchClient`` (the evaluator's fetcher factory) decides:

* no ``fhirServer``: no fetcher; missing keys are reported as such;
* a ``fhirServer`` not allowed for the caller (``service.fhir.servers``): a fetcher that
  refuses every query without contacting anything, so each missing key says why;
* otherwise a fetcher for that server with the call's ``fhirAuthorization`` token.

What a missing key then means (412 for the patient, a ``data-missing`` card for the rest) is
decided by ``service.pipeline.evaluator``.
"""

from __future__ import annotations

import logging

import httpx

from cds_hooks.fetch import Fetcher, RefusingFetcher
from cds_hooks.request import HookRequest
from service.auth.caller import Caller
from service.fhir.client import FhirClient
from service.fhir.network import AddressPolicy
from service.fhir.servers import NotPermittedError, check_allowed_bases, permitted_base
from service.settings import Settings

log = logging.getLogger("baclofen_cds.prefetch")


class PrefetchClient:
    """Fetcher factory owning the process's pooled FHIR client (start it, then close it)."""

    def __init__(self, client: FhirClient) -> None:
        self.client = client

    async def start(self) -> None:
        await self.client.start()

    async def aclose(self) -> None:
        await self.client.aclose()

    def __call__(self, request: HookRequest, caller: Caller) -> Fetcher | None:
        if not request.fhirServer:
            return None
        try:
            base = permitted_base(
                request.fhirServer, caller.fhir_servers, loopback_only=caller.loopback_fhir_servers
            )
        except NotPermittedError as error:
            # The EHR's configuration or an attack: either way operators need to see it.
            log.warning("fhirServer refused", extra={"reason": str(error), "issuer": caller.issuer})
            return RefusingFetcher(str(error))
        token = request.fhirAuthorization.access_token if request.fhirAuthorization else None
        return self.client.fetcher(base, token)


def fetcher_factory_for(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> PrefetchClient:
    """The fetcher factory for these settings; ``ValueError`` names a bad allowed base URL."""
    check_allowed_bases(settings.fhir_allowed_bases, "BACLOFEN_CDS_FHIR_ALLOWED_BASES")
    for issuer, trusted in settings.trusted_issuers.items():
        check_allowed_bases(
            trusted.fhir_servers, f"BACLOFEN_CDS_TRUSTED_ISSUERS[{issuer!r}].fhir_servers"
        )
    policy = AddressPolicy(settings.fhir_allowed_networks)
    return PrefetchClient(FhirClient(settings.fhir_timeout_s, transport=transport, policy=policy))
