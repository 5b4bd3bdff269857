"""``GET /analytics/rules[?since=ISO&until=ISO][&format=csv]``: overrides per rule code.

Aggregates only (counts and coded reasons), no patient data. Who may read them: with
authentication on, a trusted EHR, with its JWT (``aud``: this URL), and only the cards issued
to it (its issuer and, when its token names one, its tenant); operators read every client's
with ``baclofen-cds report``, from the database. With authentication off (local use) the
endpoint answers every card. The answer's shape is fixed by the README.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from cds_hooks.errors import bad_request
from service.api.dependencies import StoreDep
from service.api.responses import JsonResponse
from service.api.security import authenticate
from service.api.store_errors import store_unavailable
from service.store import StoreUnavailable, reporting
from service.store.analytics import Window, WindowError
from service.store.scope import ClientScope

router = APIRouter()


@router.get("/analytics/rules", summary="Cards issued, accepted and overridden per rule code")
async def rules(request: Request, store: StoreDep) -> Response:
    caller = await authenticate(request)
    # A trusted EHR reads its own cards; without authentication (local use), every card.
    scope = ClientScope(caller.issuer, caller.tenant) if caller.issuer is not None else None
    query = request.query_params
    output = query.get("format", "json")
    if output not in ("json", "csv"):
        raise bad_request("format must be json or csv", "format")
    try:
        window = Window.parse(query.get("since"), query.get("until"))
    except WindowError as error:
        # The usual cause: an offset's "+" sent unencoded arrives as a space.
        raise bad_request(f"{error} (in a URL, write + as %2B)", error.parameter) from None
    try:
        rows = await store.rule_stats(window, scope)
    except StoreUnavailable:
        raise store_unavailable("the analytics store is unavailable; try again later") from None
    if output == "csv":
        return Response(
            reporting.as_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="rules.csv"'},
        )
    return JsonResponse(reporting.as_json(rows))
