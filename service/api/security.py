"""Who is calling: the seam every protected route goes through.

With ``BACLOFEN_CDS_AUTH_REQUIRED`` (the default) the EHR's JWT is verified (``service.auth``)
and the caller may have us fetch only from its issuer's ``fhir_servers``. With it off, the
caller may have us fetch from ``BACLOFEN_CDS_FHIR_ALLOWED_BASES`` (loopback servers only, when
that is empty).
"""

from __future__ import annotations

from starlette.requests import Request

from service.api.dependencies import services_of
from service.auth.caller import Caller


class AuthenticationMissing(RuntimeError):
    """Authentication is on but the application has no authenticator: a wiring defect."""


async def authenticate(request: Request) -> Caller:
    """The verified caller of this request, or a ``CdsHooksError`` 401."""
    services = services_of(request)
    settings = services.settings
    if not settings.auth_required:
        return Caller.unauthenticated(settings.fhir_allowed_bases)
    if services.authenticator is None:
        raise AuthenticationMissing("authentication is on but no authenticator was built")
    return await services.authenticator.authenticate(request)


async def authenticate_discovery(request: Request) -> None:
    """Discovery is open unless ``BACLOFEN_CDS_AUTH_DISCOVERY`` asks for a JWT there too."""
    if services_of(request).settings.auth_discovery:
        await authenticate(request)
