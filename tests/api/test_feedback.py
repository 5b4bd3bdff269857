"""POST /cds-services/{id}/feedback: validated, stored once, linked to the cards it names."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.api.dependencies import services_of_app
from tests.api.store_client import FEEDBACK, issue_cards, item
from tests.api.test_errors import assert_outcome
from tests.conftest import running
from tests.store.helpers import counted, issued, rows

Scenario = Callable[[str], dict[str, Any]]


async def test_feedback_is_stored_and_counted_for_its_rule(
    app: FastAPI, client: httpx.AsyncClient, scenario: Scenario
) -> None:
    first, second, *_ = await issue_cards(client, scenario("03"))
    await services_of_app(app).advice_recorder.flush()
    response = await client.post(
        FEEDBACK,
        json={"feedback": [item(first["uuid"]), item(second["uuid"], "accepted")]},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "feedback": [
            {"card": first["uuid"], "outcome": "overridden", "status": "stored", "cardKnown": True},
            {"card": second["uuid"], "outcome": "accepted", "status": "stored", "cardKnown": True},
        ]
    }
    stats = {row["rule"]: row for row in (await client.get("/analytics/rules")).json()["rules"]}
    overridden = stats[first["source"]["topic"]["code"]]
    assert (overridden["issued"], overridden["overridden"], overridden["accepted"]) == (1, 1, 0)
    assert overridden["topOverrideReasons"] == [
        {"code": "patient-tolerates", "display": "patient tolerates", "count": 1}
    ]
    assert stats[second["source"]["topic"]["code"]]["accepted"] == 1


async def test_a_redelivered_item_is_a_duplicate_and_stored_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    body = {"feedback": [item("card-1")]}
    assert (await client.post(FEEDBACK, json=body)).json()["feedback"][0]["status"] == "stored"
    again = await client.post(FEEDBACK, json=body)
    assert again.status_code == 200
    assert again.json()["feedback"][0]["status"] == "duplicate"
    assert len(await rows(services_of_app(app).store.database, "feedback")) == 1


async def test_feedback_on_an_unknown_card_is_stored_and_flagged(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.post(FEEDBACK, json={"feedback": [item("never-issued")]})
    assert response.status_code == 200
    assert response.json()["feedback"][0] == {
        "card": "never-issued",
        "outcome": "overridden",
        "status": "stored",
        "cardKnown": False,
    }
    assert [
        row["card_uuid"] for row in await rows(services_of_app(app).store.database, "feedback")
    ] == ["never-issued"]


async def test_feedback_that_arrives_before_its_card_is_written_still_links(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # The recorder writes off the request path, so feedback can win the race. The link is
    # made when the data is read, so the order of the writes does not matter.
    await client.post(FEEDBACK, json={"feedback": [item("late-card")]})
    await services_of_app(app).store.write_advice([issued("late-card", "dose-above-max")])
    (row,) = (await client.get("/analytics/rules")).json()["rules"]
    assert (row["rule"], row["issued"], row["overridden"]) == ("dose-above-max", 1, 1)


async def test_several_items_per_call_each_get_their_answer(client: httpx.AsyncClient) -> None:
    items = [item(f"card-{n}", at=f"2026-11-23T10:0{n}:00Z") for n in range(5)]
    response = await client.post(FEEDBACK, json={"feedback": [*items, items[0]]})
    statuses = [entry["status"] for entry in response.json()["feedback"]]
    assert statuses == ["stored"] * 5 + ["duplicate"]


async def test_feedback_is_counted_by_outcome_and_novelty(client: httpx.AsyncClient) -> None:
    def count(outcome: str, stored: str) -> float:
        return counted(
            "baclofen_cds_feedback_total",
            service="baclofen-order-sign",
            outcome=outcome,
            stored=stored,
        )

    before = (count("overridden", "true"), count("accepted", "true"), count("overridden", "false"))
    body = {"feedback": [item("c-1"), item("c-2", "accepted")]}
    await client.post(FEEDBACK, json=body)
    await client.post(FEEDBACK, json={"feedback": [item("c-1")]})
    after = (count("overridden", "true"), count("accepted", "true"), count("overridden", "false"))
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]


VALID = item("card-ok")


@pytest.mark.parametrize(
    ("second", "mention"),
    [
        ({**VALID, "outcome": "ignored"}, "feedback.1.outcome"),
        ({**VALID, "card": ""}, "feedback.1.card"),
        ({k: v for k, v in VALID.items() if k != "card"}, "feedback.1.card is required"),
        ({**VALID, "outcomeTimestamp": "2026-11-23T10:00:00"}, "feedback.1.outcomeTimestamp"),
        ({**VALID, "outcomeTimestamp": "yesterday"}, "feedback.1.outcomeTimestamp"),
        (item("c", "accepted", acceptedSuggestions=[]), "lists its acceptedSuggestions"),
        (item("c", acceptedSuggestions=[{"id": "s"}]), "accepts no suggestions"),
        (
            item("c", "accepted", overrideReason={"userComment": "x"}),
            "accepted outcome carries no overrideReason",
        ),
        (item("c", reason=None, overrideReason={}), "a reason, a userComment, or both"),
        (item("c", overrideReason={"reason": {"code": "x"}}), "feedback.1.overrideReason"),
        ("not an object", "feedback.1"),
    ],
)
async def test_an_invalid_item_refuses_the_call_naming_it_and_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient, second: Any, mention: str
) -> None:
    response = await client.post(FEEDBACK, json={"feedback": [VALID, second]})
    assert_outcome(response, 400, mention)
    assert await rows(services_of_app(app).store.database, "feedback") == []


@pytest.mark.parametrize(
    ("body", "mention"),
    [
        ([], "must be a JSON object"),
        ({}, "feedback is required"),
        ({"feedback": []}, "feedback"),
        ({"feedback": "x"}, "feedback"),
        ({"feedback": [VALID] * 501}, "feedback"),
    ],
)
async def test_malformed_bodies_are_400(
    app: FastAPI, client: httpx.AsyncClient, body: Any, mention: str
) -> None:
    assert_outcome(await client.post(FEEDBACK, json=body), 400, mention)
    assert await rows(services_of_app(app).store.database, "feedback") == []


async def test_a_body_that_is_not_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        FEEDBACK, content=b"{", headers={"content-type": "application/json"}
    )
    assert_outcome(response, 400, "not valid JSON")


async def test_feedback_for_an_unknown_service_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/cds-services/nope/feedback", json={"feedback": [VALID]})
    assert_outcome(response, 404, "no such CDS service")


async def test_no_patient_data_reaches_the_database_or_the_logs(
    make_app: Callable[..., FastAPI],
    scenario: Scenario,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    comment = "Discussed with Quinn Testpatient (MRN 4471-220), tolerates 120 mg"
    database = tmp_path / "phi.sqlite3"
    caplog.set_level(logging.DEBUG)
    async with running(make_app(database_url=f"sqlite+aiosqlite:///{database}")) as http:
        card, *_ = await issue_cards(http, scenario("03"))
        overridden = item(card["uuid"], overrideReason={"userComment": comment})
        assert (await http.post(FEEDBACK, json={"feedback": [overridden]})).status_code == 200
    (row,) = await rows(f"sqlite+aiosqlite:///{database}", "feedback")
    assert row["comment_length"] == len(comment)
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("phi.sqlite3*"))
    logged = caplog.text
    assert card["uuid"].encode() in stored  # the scan does see what was stored
    for secret in ("Testpatient", "Quinn", "4471-220", "pat-1", "1981-10-24", "tolerates 120"):
        assert secret.encode() not in stored, secret
        assert secret not in logged, secret
