"""The demo's routes: the page, one example's starting state, the cards as HTML, its assets.

Mounted only by ``create_app(demo=True)`` (the ``demo`` command). Nothing here reads or writes
anything but the bundled examples; hook calls and feedback go to the service's own endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from cds_hooks.errors import bad_request, not_found
from service.api.body import read_json
from service.api.demo.cards import CardShapeError, card_views
from service.api.demo.examples import example_state, examples, find_example
from service.api.dependencies import ClockDep, KnowledgeDep, SettingsDep
from service.api.responses import JsonResponse
from service.api.web.assets import DEMO, asset_response
from service.api.web.templates import page, render
from service.clinical.knowledge import Knowledge

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class ProductOption:
    code: str
    display: str
    form: str


def _products(knowledge: Knowledge) -> list[ProductOption]:
    products = knowledge.medications.baclofen.products
    return [ProductOption(code, p.display, p.form) for code, p in products.items()]


@router.get("/demo")
async def demo_page(knowledge: KnowledgeDep) -> Response:
    return page(
        "demo.html",
        scripted=True,
        demo=True,
        examples=examples(),
        products=_products(knowledge),
    )


@router.get("/demo/examples/{key}")
async def example(key: str, knowledge: KnowledgeDep, clock: ClockDep) -> Response:
    found = find_example(key)
    if found is None:
        raise not_found(f"no example named {key!r}")
    state, chart = example_state(found, knowledge, clock())
    return JsonResponse({**state, "chartHtml": render("demo/chart.html", chart=chart)})


@router.post("/demo/cards")
async def cards(request: Request, settings: SettingsDep) -> Response:
    body = await read_json(request, settings.max_body_bytes, settings.body_timeout_s)
    try:
        views = card_views(body)
    except CardShapeError as error:
        raise bad_request(str(error), "cards") from None
    return HTMLResponse(render("demo/cards.html", cards=views))


@router.get("/demo/assets/{name}")
async def asset(name: str) -> Response:
    return asset_response(name, DEMO)
