"""``GET /analytics/rules[?since=ISO&until=ISO][&format=csv]``: overrides per rule code.

Aggregates only (counts and coded reasons), no patient data. The answer's shape is fixed by
the README.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from cds_hooks.errors import bad_request
from service import reporting
from service.api.responses import JsonResponse
from service.api.store_errors import store_unavailable
from service.store import StoreUnavailable
from service.store.analytics import Window, WindowError

router = APIRouter()


@router.get("/analytics/rules", summary="Cards issued, accepted and overridden per rule code")
async def rules(request: Request) -> Response:
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
        rows = await request.app.state.store.rule_stats(window)
    except StoreUnavailable:
        raise store_unavailable("the analytics store is unavailable; try again later") from None
    if output == "csv":
        return Response(
            reporting.as_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="rules.csv"'},
        )
    return JsonResponse(reporting.as_json(rows))
