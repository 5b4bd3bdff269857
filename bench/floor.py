"""``POST /benchmark/floor``: the floor the benchmark compares every workload with.

The same server, the same middleware, the same body read and parsed as a hook call, and a
constant answer. A measuring instrument, not part of the service: only the benchmark's server
(``bench.server``) mounts it, on the application ``baclofen-cds serve`` deploys.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from service.api.body import read_json
from service.api.dependencies import SettingsDep
from service.api.responses import JsonResponse
from service.app.asgi import app

router = APIRouter()


@router.post("/benchmark/floor", include_in_schema=False)
async def floor(request: Request, settings: SettingsDep) -> Response:
    await read_json(request, settings.max_body_bytes, settings.body_timeout_s)
    return JsonResponse({"cards": []})


# The deployed application, built from the environment as each worker imports this module.
app.include_router(router)
