"""``GET /assets/{name}``: the stylesheet of the pages (analytics), served by the package."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from service.api.web.assets import PUBLIC, asset_response

router = APIRouter()


@router.get("/assets/{name}", include_in_schema=False)
async def asset(name: str) -> Response:
    return asset_response(name, PUBLIC)
