"""Defects the fuzz tests found, each kept as a plain example (answers checked by conftest)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from service.clinical.knowledge import load_knowledge
from tests import factories as f

SIGN = "/cds-services/baclofen-order-sign"
VIEW = "/cds-services/baclofen-patient-view"


def suggested_resources(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        action["resource"]
        for card in body["cards"]
        for suggestion in card.get("suggestions", [])
        for action in suggestion["actions"]
        if "resource" in action
    ]


async def test_empty_values_of_an_order_are_not_copied_into_a_suggestion(
    client: httpx.AsyncClient,
) -> None:
    """Was: empty values of the order (``"note": [{"text": ""}]``, ``"identifier": []``)
    came back in the stopped copy of it, and CDS Hooks (and FHIR) forbid empty values in the
    answer."""
    active = f.med_request(status="active", rid="mr-old", authored_days_ago=30)
    active["note"] = [{"text": ""}]
    active["identifier"] = []
    request = f.hook_request([f.med_request(rid="mr-0")], medications=[active])
    response = await client.post(SIGN, json=request)
    assert response.status_code == 200, response.text
    stopped = [r for r in suggested_resources(response.json()) if r.get("id") == "mr-old"]
    assert stopped, "the older order the new one replaces is offered for stopping"
    assert "note" not in stopped[0] and "identifier" not in stopped[0]


async def test_an_invalid_active_order_gets_its_card_without_the_change(
    client: httpx.AsyncClient,
) -> None:
    """Was: a 500. Orders from prefetch are not validated, so the corrected copy of one whose
    medication coding is a string failed FHIR validation, and the exception escaped."""
    broken = f.med_request(
        status="active", rid="mr-a", authored_days_ago=200, dosages=[f.dosage(40)]
    )
    # A new concept: the factories' concepts are shared constants.
    broken["medicationCodeableConcept"] = {"coding": "1e999", "text": "baclofen 10 MG Oral Tablet"}
    request = f.hook_request(hook="patient-view", medications=[broken])
    response = await client.post(VIEW, json=request)
    assert response.status_code == 200, response.text
    cards = {c["source"]["topic"]["code"]: c for c in response.json()["cards"]}
    above = cards["dose-above-max"]
    assert above["indicator"] == "critical"
    assert "mr-a" not in [r.get("id") for r in suggested_resources({"cards": [above]})]
    assert load_knowledge().words("not_offered_invalid_fhir") in above["detail"]


async def test_a_dose_whose_daily_total_overflows_is_unverifiable(
    client: httpx.AsyncClient,
) -> None:
    """Was: a 500. 1e308 mg three times a day is infinity mg/day, and rounding it for the
    card's text raised OverflowError. Such a dose now gets the fail-loud card."""
    request = f.hook_request([f.med_request(dosages=[f.dosage(1e308)])])
    response = await client.post(SIGN, json=request)
    assert response.status_code == 200, response.text
    cards = {c["source"]["topic"]["code"]: c for c in response.json()["cards"]}
    assert "too large" in cards["dose-unverifiable"]["summary"]


DEAD = "http://127.0.0.1:9/fhir"  # nothing listens: every fetch is refused


def without_lists(request: dict[str, Any]) -> dict[str, Any]:
    """The request with only the Patient sent, its lists to fetch from a dead server."""
    request["prefetch"] = {"patient": request["prefetch"]["patient"]}
    request["fhirServer"] = DEAD
    return request


def rule_codes(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [card["source"]["topic"]["code"] for card in response.json()["cards"]]


async def test_a_stop_with_its_history_unavailable_says_data_is_missing(
    client: httpx.AsyncClient, scenario: Any
) -> None:
    """Was: no card at all (found by the soak, with the FHIR server dead). The stop rules need
    the medication list, and the per-order data-missing rule does not run on a stop."""
    response = await client.post(SIGN, json=without_lists(scenario("11")))
    assert rule_codes(response) == ["data-missing"]
    assert "the medication list" in response.text and "could not be obtained" in response.text


async def test_a_chart_with_its_medication_list_unavailable_says_data_is_missing(
    client: httpx.AsyncClient, scenario: Any
) -> None:
    """Was: no card at all: without the medication list no active order was found."""
    response = await client.post(VIEW, json=without_lists(scenario("13")))
    assert rule_codes(response) == ["data-missing"]


async def test_missing_lists_stay_silent_when_nothing_could_have_been_checked(
    client: httpx.AsyncClient, scenario: Any
) -> None:
    # No baclofen among the drafts: the lists would have fed no check.
    assert rule_codes(await client.post(SIGN, json=without_lists(scenario("14")))) == []
    # The medication list was read and holds no baclofen; only the problem list is missing.
    request = scenario("13")
    request["prefetch"]["medications"] = f.searchset([])
    request["prefetch"].pop("conditions")
    request["fhirServer"] = DEAD
    assert rule_codes(await client.post(VIEW, json=request)) == []


async def test_a_cut_from_an_absurd_dose_answers_at_once(client: httpx.AsyncClient) -> None:
    """Was: a hang, found by a long fuzz run. The taper from 3e12 mg/day down to the new dose
    in steps of 15 mg was built step by step, trillions of them, in the event loop."""
    active = f.med_request(status="active", rid="mr-old", dosages=[f.dosage(1e12)])
    draft = f.med_request(rid="mr-new", dosages=[f.dosage(10)], prior="mr-old")
    request = f.hook_request([draft], medications=[active])
    started = time.perf_counter()
    response = await client.post(SIGN, json=request)
    assert time.perf_counter() - started < 2
    assert response.status_code == 200, response.text
    labels = [s["label"] for c in response.json()["cards"] for s in c.get("suggestions", [])]
    assert not any(label.startswith("Taper") for label in labels), labels


async def test_a_huge_integer_of_the_record_is_not_copied_into_a_suggestion(
    client: httpx.AsyncClient,
) -> None:
    """Was: an active order's maxDosePerPeriod of 2^63 came back as that integer in the stopped
    copy of the order (found by the fuzzer once the conformance checker refused integers beyond
    2^53, which JSON readers cannot hold exactly)."""
    active = f.med_request(status="active", rid="mr-old", authored_days_ago=30)
    active["dosageInstruction"][0]["maxDosePerPeriod"] = {
        "numerator": {"value": 2**63, "unit": "mg"},
        "denominator": {"value": 1, "unit": "d"},
    }
    request = f.hook_request([f.med_request(rid="mr-0")], medications=[active])
    response = await client.post(SIGN, json=request)
    assert response.status_code == 200, response.text
    copies = [r for r in suggested_resources(response.json()) if r.get("id") == "mr-old"]
    assert copies
    numerator = copies[0]["dosageInstruction"][0]["maxDosePerPeriod"]["numerator"]["value"]
    assert isinstance(numerator, float) and numerator == 2.0**63


async def test_an_active_order_without_an_id_is_not_offered_for_stopping(
    client: httpx.AsyncClient,
) -> None:
    """Was: a duplicate active order that the record gave no id came back as an update without
    an id (CDS Hooks: an update names its resource), found by a longer fuzzing run."""
    nameless = f.med_request(status="active", rid="mr-a", authored_days_ago=200)
    other = f.med_request(f.BACLOFEN_20, status="active", rid="mr-b", authored_days_ago=30)
    request = f.hook_request(hook="patient-view", medications=[nameless, other])
    del request["prefetch"]["medications"]["entry"][0]["resource"]["id"]
    response = await client.post(VIEW, json=request)
    assert response.status_code == 200, response.text
    for resource in suggested_resources(response.json()):
        assert resource.get("id"), resource
