"""The printable schedule page, linked from cards: what it shows, and what its URL carries."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

SIGN = "/cds-services/baclofen-order-sign"


async def schedule_link(client: httpx.AsyncClient, request: dict[str, Any], rule: str) -> str:
    body = (await client.post(SIGN, json=request)).json()
    card = next(c for c in body["cards"] if c["source"]["topic"]["code"] == rule)
    (link,) = card["links"]
    assert link["type"] == "absolute" and link["url"].startswith(
        "http://localhost:8080/schedules/view?"
    )
    return str(link["url"])


async def test_taper_page_has_a_row_and_a_bar_per_step(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    url = await schedule_link(client, scenario("11"), "abrupt-discontinuation")
    page = await client.get(url.removeprefix("http://localhost:8080"))
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


async def test_the_url_carries_the_schedule_and_nothing_about_the_patient(
    client: httpx.AsyncClient, scenario: Callable[[str], dict[str, Any]]
) -> None:
    request = scenario("11")
    url = await schedule_link(client, request, "abrupt-discontinuation")
    keys = {key for key, _ in parse_qsl(urlsplit(url).query)}
    assert keys <= {"kind", "unit", "product", "start", "strength", "concentration", "s"}
    patient = request["prefetch"]["patient"]
    for secret in (
        patient["id"],
        patient["birthDate"],
        patient["name"][0]["family"],
        "mr-359",
        "mr-360",
    ):
        assert secret not in url


@pytest.mark.parametrize(
    "query",
    [
        "",
        "kind=taper&unit=mg&start=2026-11-23",
        "kind=taper&unit=g&start=2026-11-23&s=5:3",
        "kind=taper&unit=mg&start=someday&s=5:3",
        "kind=taper&unit=mg&start=2026-11-23&s=five:3",
        "kind=taper&unit=mg&start=2026-11-23&s=5:&s=5:3",
        "kind=taper&unit=mg&start=2026-11-23&s=5:0",
        "kind=taper&unit=mg&start=2026-11-23&s=-5:3",
        "kind=taper&unit=mg&start=2026-11-23&s=5:3&strength=zero",
    ],
)
async def test_a_url_that_is_not_a_schedule_is_400(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/schedules/view?{query}")
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_product_text_is_escaped(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/schedules/view?kind=taper&unit=mg&start=2026-11-23&s=5:14&product=%3Cscript%3Ex%3C/script%3E"
    )
    assert response.status_code == 200
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text


async def test_intrathecal_reduction_page_carries_the_warning(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/schedules/view?kind=intrathecal-reduction&unit=mcg&start=2026-11-23&s=640:3&s=480:3"
    )
    assert response.status_code == 200 and "life-threatening" in response.text
