"""The printable schedule page, linked from cards: what it shows, and what its URL carries.

The URL is signed by the service (``service.present.schedule_codec``): the page shows only
schedules a card linked, within the knowledge base's maxima, and writes the product's name and
the withdrawal warning signs from the knowledge base.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from service.api.dependencies import services_of_app
from service.clinical.dosing.products import Form, Product
from service.clinical.knowledge import Knowledge
from service.clinical.schedules import Schedule, ScheduleKind, Step
from service.pipeline.examples import all_fixtures
from service.present.schedule_codec import PrintableSchedule, encode
from tests.conftest import FIXTURES, running

SIGN = "/cds-services/baclofen-order-sign"
BASE = "http://localhost:8080"


async def schedule_link(
    client: httpx.AsyncClient, request: dict[str, Any], rule: str | None = None
) -> str:
    """The schedule link of the card of ``rule`` (of the first card with one, if None)."""
    body = (await client.post(SIGN, json=request)).json()
    card = next(
        c
        for c in body["cards"]
        if c["source"]["topic"]["code"] == rule or (rule is None and c.get("links"))
    )
    (link,) = card["links"]
    assert link["type"] == "absolute" and link["url"].startswith(f"{BASE}/schedules/view?")
    return str(link["url"])


async def test_taper_page_has_a_row_and_a_bar_per_step(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    url = await schedule_link(client, scenario("11"), "abrupt-discontinuation")
    page = await client.get(url.removeprefix(BASE))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    steps = [value for key, value in parse_qsl(urlsplit(url).query) if key == "s"]
    assert len(re.findall(r'<tr class="step-row">', page.text)) == len(steps)
    assert len(re.findall(r'<rect class="step', page.text)) == len(steps)
    assert "stop" in page.text and "Mon 23 Nov 2026" in page.text
    assert "(1 tablet)" in page.text  # 10 mg tablets
    assert (
        "<script" not in page.text and "http" not in page.text.split("</style>")[1].split("<svg")[0]
    )


async def test_taper_page_starts_at_the_dose_being_left_and_names_the_product_plainly(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]], knowledge: Knowledge
) -> None:
    """Fixture 11 stops 45 mg/day of 10 mg tablets: the chart and the table start at 45."""
    url = await schedule_link(client, scenario("11"), "abrupt-discontinuation")
    page = (await client.get(url.removeprefix(BASE))).text
    assert re.search(r'<rect class="now" data-daily="45"', page)
    assert re.search(r'<tr class="now">.*until Sun 22 Nov 2026.*45 mg', page)
    assert page.index('class="now"') < page.index('class="step')  # before the first step
    assert "Baclofen 10 mg tablets" in page
    assert "baclofen 10 MG Oral Tablet" not in page
    warning = knowledge.counselling.withdrawal_warning.oral
    assert escape(warning.lead) in page
    assert all(f"<li>{escape(sign)}</li>" in page for sign in warning.signs)


async def test_titration_page_has_no_withdrawal_box(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]], knowledge: Knowledge
) -> None:
    url = await schedule_link(client, scenario("61"))
    assert "kind=titration" in url
    page = (await client.get(url.removeprefix(BASE))).text
    assert 'class="warning"' not in page
    assert knowledge.counselling.withdrawal_warning.oral.signs[0] not in page


async def test_the_url_carries_the_schedule_and_nothing_about_the_patient(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("11")
    url = await schedule_link(client, request, "abrupt-discontinuation")
    keys = {key for key, _ in parse_qsl(urlsplit(url).query)}
    assert keys <= {
        "kind", "unit", "form", "start", "strength", "concentration", "from", "s", "sig",
    }  # fmt: skip
    patient = request["prefetch"]["patient"]
    for secret in (
        patient["id"],
        patient["birthDate"],
        patient["name"][0]["family"],
        "mr-359",
        "mr-360",
    ):
        assert secret not in url


FORGED = {
    # The penetration test's page: 1000 mg a dose, with a note of the attacker's own.
    "the attack": "kind=taper&unit=mg&start=2026-11-23&strength=10&s=1000:14"
    "&product=" + quote("baclofen 10 mg - call +1 555 0100 for a refill"),
    "empty": "",
    "no steps": "kind=taper&unit=mg&form=tablet&start=2026-11-23",
    "unsigned": "kind=taper&unit=mg&form=tablet&start=2026-11-23&s=5:14",
    "bad signature": "kind=taper&unit=mg&form=tablet&start=2026-11-23&s=5:14&sig=" + "A" * 43,
}


@pytest.mark.parametrize("query", FORGED.values(), ids=FORGED.keys())
async def test_a_url_the_service_did_not_sign_is_400(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/schedules/view?{query}")
    assert response.status_code == 400
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "not one this service signed" in outcome["issue"][0]["diagnostics"]


async def test_an_edited_link_is_400(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    url = await schedule_link(client, scenario("11"), "abrupt-discontinuation")
    query = urlsplit(url).query
    pairs = parse_qsl(query)
    edits = {
        "a dose raised": [(k, "100,100,100:3" if k == "s" else v) for k, v in pairs],
        "a step added": [*pairs[:-1], ("s", "10:3"), pairs[-1]],
        "a note added": [*pairs[:-1], ("product", "call us"), pairs[-1]],
    }
    for name, edited in edits.items():
        response = await client.get(f"/schedules/view?{urlencode(edited)}")
        assert response.status_code == 400, name
    assert (await client.get(f"/schedules/view?{query}")).status_code == 200


async def test_a_signed_schedule_beyond_the_maxima_is_400(app: FastAPI) -> None:
    """Even signed (a leaked key, a defect): the page never prints more than the maxima."""
    schedule = Schedule(
        ScheduleKind.TAPER, "mg", (Step((1000,), 14),), Product(Form.TABLET, "", strength_mg=10)
    )
    query = encode(
        PrintableSchedule(schedule, dt.date(2026, 11, 23)), services_of_app(app).link_signer
    )
    async with running(app) as client:
        response = await client.get(f"/schedules/view?{query}")
    assert response.status_code == 400
    assert "a daily dose above 100 mg/day" in response.json()["issue"][0]["diagnostics"]


async def test_intrathecal_reduction_page_carries_its_warning(
    app: FastAPI, knowledge: Knowledge
) -> None:
    product = Product(Form.INTRATHECAL, "", concentration_mg_per_ml=0.5)
    schedule = Schedule(
        ScheduleKind.INTRATHECAL_REDUCTION, "mcg", (Step((640,), 3), Step((480,), None)), product
    )
    printable = PrintableSchedule(schedule, dt.date(2026, 11, 23), left_daily=800)
    async with running(app) as client:
        response = await client.get(
            f"/schedules/view?{encode(printable, services_of_app(app).link_signer)}"
        )
    assert response.status_code == 200
    page = response.text
    warning = knowledge.counselling.withdrawal_warning.intrathecal
    assert escape(warning.lead) in page and "life-threatening" in page
    assert all(f"<li>{escape(sign)}</li>" in page for sign in warning.signs)
    assert "Intrathecal baclofen 500 mcg/mL" in page
    assert re.search(r'<rect class="now" data-daily="800"', page)


async def test_every_schedule_link_of_every_example_opens(client: httpx.AsyncClient) -> None:
    """Every card's link works: the page accepts everything the cards link."""
    opened = 0
    for fixture in all_fixtures(FIXTURES):
        answer = await client.post(f"/cds-services/{fixture.service}", json=fixture.request)
        for card in answer.json()["cards"]:
            for link in card.get("links", []):
                if "/schedules/view?" in link["url"]:
                    page = await client.get(link["url"].removeprefix(BASE))
                    assert page.status_code == 200, (fixture.key, page.text)
                    opened += 1
    assert opened >= 20


async def test_links_of_another_process_with_the_same_key_open(
    make_app: Callable[..., FastAPI], scenario: Callable[[str], dict[str, Any]]
) -> None:
    """Replicas share BACLOFEN_CDS_LINK_KEYS: a card from one opens on any other."""
    async with running(make_app()) as first:
        url = await schedule_link(first, scenario("11"), "abrupt-discontinuation")
    async with running(make_app()) as second:
        assert (await second.get(url.removeprefix(BASE))).status_code == 200
    async with running(make_app(link_keys=["another-key-of-32-characters-or-more"])) as other:
        assert (await other.get(url.removeprefix(BASE))).status_code == 400
