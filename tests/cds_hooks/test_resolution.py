"""Prefetch resolution per key: absent, null, OperationOutcome, paged searchsets, failures."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cds_hooks.fetch import NOT_PROVIDED
from cds_hooks.resolution import FetchError, RefusingFetcher, resolve_prefetch

TEMPLATES = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "encounter": "Encounter/{{context.encounterId}}",
}
CONTEXT = {"patientId": "p1"}
PATIENT = {"resourceType": "Patient", "id": "p1"}


def bundle(*ids: str, next_url: str | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": "Condition", "id": i}} for i in ids],
    }
    if next_url:
        value["link"] = [{"relation": "self", "url": "x"}, {"relation": "next", "url": next_url}]
    return value


def ids(value: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in value["entry"]]


class FakeFetcher:
    """Answers from a dict of url -> JSON or FetchError; records what was asked, and when."""

    def __init__(self, answers: dict[str, Any], delay: float = 0.0) -> None:
        self.answers = answers
        self.delay = delay
        self.asked: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def fetch(self, url: str) -> dict[str, Any]:
        self.asked.append(url)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        answer = self.answers.get(url, FetchError("FHIR server answered 404"))
        if isinstance(answer, FetchError):
            raise answer
        result: dict[str, Any] = answer
        return result


async def test_only_absent_keys_are_fetched_and_null_means_no_data() -> None:
    fetcher = FakeFetcher({"Patient/p1": PATIENT})
    outcome = await resolve_prefetch(
        TEMPLATES, {"conditions": None}, CONTEXT | {"encounterId": "e1"}, fetcher
    )
    assert fetcher.asked == ["Patient/p1", "Encounter/e1"]
    assert outcome.values == {"patient": PATIENT, "conditions": None}
    assert outcome.unavailable == {"encounter": "FHIR server answered 404"}
    assert outcome.fetched == ["patient"]


async def test_operation_outcome_counts_as_absent() -> None:
    failed = {"resourceType": "OperationOutcome", "issue": [{"code": "timeout"}]}
    fetcher = FakeFetcher({"Condition?patient=p1": bundle("c1")})
    outcome = await resolve_prefetch(
        {"conditions": TEMPLATES["conditions"]}, {"conditions": failed}, CONTEXT, fetcher
    )
    assert ids(outcome.values["conditions"]) == ["c1"]
    assert outcome.fetched == ["conditions"]


async def test_missing_keys_are_fetched_concurrently() -> None:
    answers = {"Patient/p1": PATIENT, "Condition?patient=p1": bundle()}
    fetcher = FakeFetcher(answers, delay=0.05)
    outcome = await resolve_prefetch(
        {k: TEMPLATES[k] for k in ("patient", "conditions")}, None, CONTEXT, fetcher
    )
    assert fetcher.most_in_flight == 2
    assert set(outcome.values) == {"patient", "conditions"}


async def test_without_a_fetcher_missing_keys_say_so() -> None:
    outcome = await resolve_prefetch(
        TEMPLATES, {"patient": PATIENT}, CONTEXT, None, no_fetcher_reason="no fhirServer"
    )
    assert outcome.unavailable == {"conditions": "no fhirServer", "encounter": "no fhirServer"}


async def test_unresolvable_template_is_unavailable_not_fetched() -> None:
    fetcher = FakeFetcher({})
    outcome = await resolve_prefetch({"encounter": TEMPLATES["encounter"]}, {}, CONTEXT, fetcher)
    assert fetcher.asked == []
    assert "context.encounterId" in outcome.unavailable["encounter"]


async def test_a_refusing_fetcher_reports_its_reason_for_every_missing_key() -> None:
    outcome = await resolve_prefetch(
        TEMPLATES, {"patient": PATIENT}, CONTEXT | {"encounterId": "e1"}, RefusingFetcher("no")
    )
    assert outcome.values == {"patient": PATIENT}
    assert outcome.unavailable == {"conditions": "no", "encounter": "no"}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"resourceType": "Patient", "id": "other"}, "another Patient"),
        ({"resourceType": "Patient"}, "another Patient"),
        ({"resourceType": "OperationOutcome"}, "an OperationOutcome instead of a Patient"),
        ({"id": "p1"}, "not a FHIR resource"),
    ],
)
async def test_a_read_answer_must_be_the_resource_asked_for(
    answer: dict[str, Any], reason: str
) -> None:
    fetcher = FakeFetcher({"Patient/p1": answer})
    outcome = await resolve_prefetch({"patient": TEMPLATES["patient"]}, {}, CONTEXT, fetcher)
    assert "patient" not in outcome.values
    assert outcome.unavailable["patient"] == NOT_PROVIDED  # the caller learns no more
    assert reason in outcome.details["patient"]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (PATIENT, "a Patient instead of a Bundle"),
        ({"resourceType": "Bundle", "entry": {"resource": {}}}, "malformed Bundle"),
    ],
)
async def test_a_search_answer_must_be_a_bundle(answer: dict[str, Any], reason: str) -> None:
    fetcher = FakeFetcher({"Condition?patient=p1": answer})
    outcome = await resolve_prefetch({"conditions": TEMPLATES["conditions"]}, {}, CONTEXT, fetcher)
    assert outcome.unavailable["conditions"] == NOT_PROVIDED
    assert reason in outcome.details["conditions"]


async def test_fetched_pages_are_followed_and_merged() -> None:
    fetcher = FakeFetcher(
        {
            "Condition?patient=p1": bundle("c1", next_url="https://f/Condition?page=2"),
            "https://f/Condition?page=2": bundle("c2", next_url="https://f/Condition?page=3"),
            "https://f/Condition?page=3": bundle("c3"),
        }
    )
    outcome = await resolve_prefetch({"conditions": TEMPLATES["conditions"]}, {}, CONTEXT, fetcher)
    assert ids(outcome.values["conditions"]) == ["c1", "c2", "c3"]
    assert "link" not in outcome.values["conditions"]
    assert outcome.unavailable == {}


async def test_a_paged_prefetch_value_is_completed_from_the_server() -> None:
    fetcher = FakeFetcher({"https://f/p2": bundle("c2")})
    sent = bundle("c1", next_url="https://f/p2")
    outcome = await resolve_prefetch(
        {"conditions": TEMPLATES["conditions"]}, {"conditions": sent}, CONTEXT, fetcher
    )
    assert ids(outcome.values["conditions"]) == ["c1", "c2"]
    assert outcome.fetched == ["conditions"]


async def test_pages_beyond_the_cap_make_the_list_partial_and_say_so() -> None:
    answers = {f"https://f/{n}": bundle(f"c{n}", next_url=f"https://f/{n + 1}") for n in range(9)}
    answers["Condition?patient=p1"] = bundle("c", next_url="https://f/0")
    fetcher = FakeFetcher(answers)
    outcome = await resolve_prefetch(
        {"conditions": TEMPLATES["conditions"]}, {}, CONTEXT, fetcher, max_pages=3
    )
    assert ids(outcome.values["conditions"]) == ["c", "c0", "c1"]
    assert len(fetcher.asked) == 3
    assert "more than 3 pages" in outcome.unavailable["conditions"]


async def test_a_failed_next_page_keeps_what_was_read_and_says_why() -> None:
    fetcher = FakeFetcher(
        {
            "Condition?patient=p1": bundle("c1", next_url="https://f/p2"),
            "https://f/p2": FetchError(NOT_PROVIDED, "timed out after 3 s"),
        }
    )
    outcome = await resolve_prefetch({"conditions": TEMPLATES["conditions"]}, {}, CONTEXT, fetcher)
    assert ids(outcome.values["conditions"]) == ["c1"]
    assert outcome.unavailable["conditions"] == f"only 1 page could be read: {NOT_PROVIDED}"
    assert outcome.details["conditions"] == "page 2: timed out after 3 s"


async def test_a_paged_prefetch_value_without_a_fetcher_is_partial() -> None:
    sent = bundle("c1", next_url="https://f/p2")
    outcome = await resolve_prefetch(
        {"conditions": TEMPLATES["conditions"]}, {"conditions": sent}, CONTEXT, None
    )
    assert ids(outcome.values["conditions"]) == ["c1"]
    assert outcome.unavailable["conditions"].startswith("only the first page was sent")


async def test_a_next_page_that_is_not_a_bundle_stops_paging() -> None:
    fetcher = FakeFetcher({"Condition?patient=p1": bundle("c1", next_url="u2"), "u2": PATIENT})
    outcome = await resolve_prefetch({"conditions": TEMPLATES["conditions"]}, {}, CONTEXT, fetcher)
    assert ids(outcome.values["conditions"]) == ["c1"]
    assert "a Patient instead of a Bundle" in outcome.details["conditions"]


def condition_of(patient_reference: str | None) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Condition", "id": "c"}
    if patient_reference is not None:
        resource["subject"] = {"reference": patient_reference}
    return {"resource": resource}


@pytest.mark.parametrize(
    ("reference", "refused"),
    [
        ("Patient/p1", False),
        ("https://ehr.example.org/fhir/Patient/p1", False),
        (None, False),  # names no one
        ("Patient/p2", True),
        ("Patient/xp1", True),
        ("https://ehr.example.org/fhir/Patient/p11", True),
        ("Group/p1", True),
    ],
)
async def test_a_search_answer_with_another_patients_data_is_refused(
    reference: str | None, refused: bool
) -> None:
    answer = {
        "resourceType": "Bundle",
        "entry": [condition_of("Patient/p1"), condition_of(reference)],
    }
    fetcher = FakeFetcher({"Condition?patient=p1": answer})
    outcome = await resolve_prefetch({"conditions": TEMPLATES["conditions"]}, {}, CONTEXT, fetcher)
    if refused:
        assert "conditions" not in outcome.values
        assert outcome.unavailable["conditions"] == NOT_PROVIDED
        assert outcome.details["conditions"] == (
            "the FHIR server answered with another patient's data"
        )
    else:
        assert len(outcome.values["conditions"]["entry"]) == 2


async def test_a_next_page_with_another_patients_data_is_not_used() -> None:
    other = {"resourceType": "Bundle", "entry": [condition_of("Patient/p2")]}
    fetcher = FakeFetcher({"https://f/p2": other})
    sent = bundle("c1", next_url="https://f/p2")
    outcome = await resolve_prefetch(
        {"conditions": TEMPLATES["conditions"]}, {"conditions": sent}, CONTEXT, fetcher
    )
    assert ids(outcome.values["conditions"]) == ["c1"]
    assert "another patient's data" in outcome.details["conditions"]
