"""Who is calling: the seam every protected route goes through.

Until JWT verification lands this trusts everyone, as the service does with
``BACLOFEN_CDS_AUTH_REQUIRED=false``: the caller may have us fetch from the FHIR servers of
``BACLOFEN_CDS_FHIR_ALLOWED_BASES`` (any, when that list is empty).
"""

from __future__ import annotations

from starlette.requests import Request

from service.caller import Caller


async def authenticate(request: Request) -> Caller:
    """The verified caller of this request, or a ``CdsHooksError`` 401."""
    settings = request.app.state.settings
    return Caller.unauthenticated(settings.fhir_allowed_bases)
