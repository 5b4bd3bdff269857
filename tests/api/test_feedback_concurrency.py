"""500 concurrent feedback posts, several items each and many delivered more than once, leave
exactly one row per distinct item, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from service.api.dependencies import services_of_app
from tests.api.store_client import FEEDBACK, issue_cards, item
from tests.conftest import running
from tests.store.helpers import counted, rows

Scenario = Callable[[str], dict[str, Any]]

POSTS = 500
ITEMS_PER_POST = 4
HOOK_CALLS = 10  # x 3 cards each (scenario 03)
UNKNOWN_CARDS = 10
TIMES = [f"2026-11-23T10:{minute:02d}:00Z" for minute in range(8)]
REASONS = ["patient-tolerates", "benefit-outweighs-risk", "already-discussed"]


def distinct_items(cards: list[str]) -> list[dict[str, Any]]:
    """Every (card, outcome, time) once: the rows the store must end with."""
    outcomes = ["overridden", "accepted"]
    return [
        item(card, outcome, at, reason=REASONS[n % len(REASONS)])
        for n, (card, outcome, at) in enumerate(itertools.product(cards, outcomes, TIMES))
    ]


def deliveries(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """POSTS bodies covering every item, most items several times, some twice in one body.

    A stride coprime with the number of items visits every one of them.
    """
    stride = 7
    assert len(items) % stride and len(items) < POSTS * ITEMS_PER_POST
    position = itertools.count()
    bodies = []
    for post in range(POSTS):
        body = [items[next(position) * stride % len(items)] for _ in range(ITEMS_PER_POST)]
        if post % 10 == 0:
            body.append(body[0])
        bodies.append(body)
    return bodies


def feedback_counter(stored: str) -> float:
    return sum(
        counted(
            "baclofen_cds_feedback_total", service="baclofen-order-sign", outcome=o, stored=stored
        )
        for o in ("accepted", "overridden")
    )


async def test_500_concurrent_posts_store_each_item_exactly_once(
    make_app: Callable[..., FastAPI], scenario: Scenario, database_url: str
) -> None:
    app = make_app(database_url=database_url)
    async with running(app) as http:
        issued: dict[str, str] = {}  # card uuid -> rule
        for _ in range(HOOK_CALLS):
            for card in await issue_cards(http, scenario("03")):
                issued[card["uuid"]] = card["source"]["topic"]["code"]
        cards = [*issued, *(f"unknown-{n}" for n in range(UNKNOWN_CARDS))]
        items = distinct_items(cards)
        bodies = deliveries(items)
        stored_before, duplicates_before = feedback_counter("true"), feedback_counter("false")

        async def post(body: list[dict[str, Any]]) -> httpx.Response:
            return await http.post(FEEDBACK, json={"feedback": body})

        responses = await asyncio.gather(*(post(body) for body in bodies))

        assert [r.status_code for r in responses] == [200] * POSTS
        answers = [entry for r in responses for entry in r.json()["feedback"]]
        delivered = sum(len(body) for body in bodies)
        assert len(answers) == delivered
        stored_per_item = Counter(
            (a["card"], a["outcome"]) for a in answers if a["status"] == "stored"
        )
        # Each (card, outcome) pair has len(TIMES) distinct items, each stored exactly once.
        assert set(stored_per_item.values()) == {len(TIMES)}
        assert sum(stored_per_item.values()) == len(items)
        assert feedback_counter("true") - stored_before == len(items)
        assert feedback_counter("false") - duplicates_before == delivered - len(items)

        table = await rows(services_of_app(app).store.database, "feedback")
        assert len(table) == len(items)
        assert len({(r["card_uuid"], r["outcome"], str(r["outcome_at"])) for r in table}) == len(
            items
        )
        assert {a["card"] for a in answers if not a["cardKnown"]} == {
            f"unknown-{n}" for n in range(UNKNOWN_CARDS)
        }

        # Analytics count each issued card once per outcome, whatever the deliveries.
        await services_of_app(app).advice_recorder.flush()
        stats = (await http.get("/analytics/rules")).json()["rules"]
        per_rule = Counter(issued.values())
        assert {r["rule"]: (r["issued"], r["accepted"], r["overridden"]) for r in stats} == {
            rule: (n, n, n) for rule, n in per_rule.items()
        }
