"""The conformance checker finds what it is meant to find: each rule fails a bad answer."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.api.responses import JsonResponse
from tests.conformance.checker import (
    ConformanceError,
    discovery_problems,
    error_problems,
    response_problems,
)
from tests.conftest import running

SYSTEM = "http://example.org/rules"


def medication_request(**changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "MedicationRequest",
        "id": "mr-1",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"text": "baclofen 10 mg tablet"},
        "subject": {"reference": "Patient/pat-1"},
    }
    resource.update(changes)
    return resource


def good_card() -> dict[str, Any]:
    return {
        "uuid": "card-1",
        "summary": "Baclofen 120 mg/day exceeds the 100 mg/day maximum",
        "detail": "**Why**: the leaflets cap the oral dose.",
        "indicator": "critical",
        "source": {
            "label": "baclofen-cds",
            "url": "http://localhost:8080/knowledge/rules/dose-above-max",
            "topic": {"code": "dose-above-max", "system": SYSTEM, "display": "Dose above max"},
        },
        "selectionBehavior": "at-most-one",
        "suggestions": [
            {
                "label": "Change to 70 mg/day",
                "uuid": "sugg-1",
                "isRecommended": True,
                "actions": [
                    {
                        "type": "update",
                        "description": "Update the draft",
                        "resource": medication_request(),
                    }
                ],
            }
        ],
        "overrideReasons": [
            {"code": "patient-tolerates", "system": SYSTEM, "display": "Tolerates"}
        ],
        "links": [
            {"label": "Schedule", "url": "http://localhost:8080/schedules/view", "type": "absolute"}
        ],
    }


def response_with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    card = good_card()
    change(card)
    return {"cards": [card]}


def test_a_good_card_passes() -> None:
    assert response_problems({"cards": [good_card()]}) == []
    assert response_problems({"cards": []}) == []


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(card: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = card
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return change


_DELETE = object()

BAD_CARDS = {
    "summary missing": _set("summary", _DELETE),
    "summary of 140 characters": _set("summary", "x" * 140),
    "indicator unknown": _set("indicator", "hard-stop"),
    "source without label": _set("source.label", _DELETE),
    "detail null": _set("detail", None),
    "detail empty": _set("detail", ""),
    "suggestions without selectionBehavior": _set("selectionBehavior", _DELETE),
    "selectionBehavior unknown": _set("selectionBehavior", "all"),
    "empty suggestions list": _set("suggestions", []),
    "override reason without display": _set("overrideReasons.0.display", _DELETE),
    "link type unknown": _set("links.0.type", "relative"),
    "appContext on an absolute link": _set("links.0.appContext", "x=1"),
    "link url not absolute": _set("links.0.url", "/schedules/view"),
    "action type unknown": _set("suggestions.0.actions.0.type", "replace"),
    "update without resource": _set("suggestions.0.actions.0.resource", _DELETE),
    "update of a resource without id": _set("suggestions.0.actions.0.resource.id", _DELETE),
    "action without description": _set("suggestions.0.actions.0.description", _DELETE),
    "resource that is not FHIR R4": _set(
        "suggestions.0.actions.0.resource.subject", "Patient/pat-1"
    ),
    "resource with an unknown type": _set("suggestions.0.actions.0.resource.resourceType", "Pill"),
    "unknown member on a card": _set("colour", "red"),
    "nested null": _set("source.topic.display", None),
}


@pytest.mark.parametrize("change", BAD_CARDS.values(), ids=BAD_CARDS.keys())
def test_each_rule_fails_a_bad_card(change: Callable[[dict[str, Any]], None]) -> None:
    assert response_problems(response_with(change))


def test_delete_needs_a_target() -> None:
    def change(card: dict[str, Any]) -> None:
        card["suggestions"][0]["actions"] = [{"type": "delete", "description": "Remove"}]

    assert response_problems(response_with(change))
    card = good_card()
    card["suggestions"][0]["actions"] = [
        {"type": "delete", "description": "Remove", "resourceId": "MedicationRequest/mr-2"}
    ]
    assert response_problems({"cards": [card]}) == []


def test_at_most_one_allows_one_recommended_suggestion_only() -> None:
    card = good_card()
    second = copy.deepcopy(card["suggestions"][0]) | {"uuid": "sugg-2"}
    card["suggestions"].append(second)
    assert response_problems({"cards": [card]})
    card["selectionBehavior"] = "any"
    assert response_problems({"cards": [card]}) == []


def test_uuids_are_unique() -> None:
    assert response_problems({"cards": [good_card(), good_card()]})
    card = good_card()
    card["selectionBehavior"] = "any"
    card["suggestions"].append(copy.deepcopy(card["suggestions"][0]))
    assert any("suggestion uuid" in p for p in response_problems({"cards": [card]}))


@pytest.mark.parametrize(
    "body",
    [{}, {"cards": None}, {"cards": []} | {"systemActions": []}, [], {"cards": [{}]}],
    ids=["no cards", "cards null", "empty systemActions", "not an object", "empty card"],
)
def test_malformed_responses_fail(body: Any) -> None:
    assert response_problems(body)


def test_errors_must_be_operation_outcomes() -> None:
    good: dict[str, Any] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "diagnostics": "x"}],
    }
    assert error_problems(good) == []
    assert error_problems({"detail": "Not Found"})
    assert error_problems({"resourceType": "OperationOutcome", "issue": []})
    bad_code = copy.deepcopy(good)
    bad_code["issue"][0]["severity"] = "bad"
    assert error_problems(bad_code)


def test_discovery_needs_description() -> None:
    assert discovery_problems({"services": [{"hook": "order-sign", "id": "a"}]})
    assert discovery_problems(
        {"services": [{"hook": "order-sign", "id": "a b", "description": "d"}]}
    )


@pytest.mark.parametrize(
    ("status", "body", "media_type"),
    [
        (200, {"cards": [good_card() | {"indicator": "severe"}]}, "application/json"),
        (400, {"detail": "bad"}, "application/json"),
        (200, {"cards": []}, "text/plain"),
    ],
    ids=["bad card", "error not an OperationOutcome", "wrong media type"],
)
async def test_every_test_client_rejects_a_non_conformant_answer(
    make_app: Callable[..., FastAPI], status: int, body: Any, media_type: str
) -> None:
    """The autouse check in tests/conftest.py fails any test that receives such an answer."""
    app = make_app()

    async def broken() -> JsonResponse:
        response = JsonResponse(body, status_code=status)
        response.headers["content-type"] = media_type
        return response

    # First, ahead of /cds-services/{service_id}, which would answer 404.
    app.router.add_api_route("/cds-services/broken-service", broken, methods=["POST"])
    app.router.routes.insert(0, app.router.routes.pop())

    async with running(app) as http:
        with pytest.raises(ConformanceError):
            await http.post("/cds-services/broken-service", json={})
        # Outside the CDS Hooks endpoints nothing is checked.
        assert (await http.get("/healthz")).status_code == 200


async def test_the_service_own_answers_pass(client: httpx.AsyncClient) -> None:
    assert (await client.get("/cds-services")).status_code == 200
    assert (await client.post("/cds-services/nope", json={})).status_code == 404


def test_an_integer_beyond_2_53_fails() -> None:
    """A dose of 2^64 mg is valid FHIR (a decimal) but no JSON reader holds it exactly."""
    huge = {"doseAndRate": [{"doseQuantity": {"value": 2**64, "unit": "mg"}}]}
    body = response_with(
        _set("suggestions.0.actions.0.resource", medication_request(dosageInstruction=[huge]))
    )
    assert response_problems(body) == [
        "$.cards[0].suggestions[0].actions[0].resource.dosageInstruction[0].doseAndRate[0]"
        ".doseQuantity.value: an integer beyond 2^53"
    ]
    huge["doseAndRate"][0]["doseQuantity"]["value"] = 2**53
    assert response_problems(body) == []
