"""Facts from FHIR JSON: ages, observations, conditions, and tolerance of malformed data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from service.clinical.facts import ClinicalStatus, build_facts
from service.clinical.facts.patient import age_of
from service.clinical.knowledge import Knowledge
from tests.clinical.conftest import case_of
from tests.factories import (
    BACLOFEN_10,
    condition,
    dosage,
    hook_request,
    med_request,
    observation,
    weight,
)


def facts_of(request: dict[str, Any], knowledge: Knowledge) -> Any:
    return build_facts(case_of(request), knowledge)


@pytest.mark.parametrize(
    ("birth_date", "youngest", "oldest"),
    [
        ("1961-11-23", 65, 65),
        ("1961-11-24", 64, 64),
        ("1961", 64, 65),
        ("1961-11", 64, 65),
        ("1961-10", 65, 65),
    ],
)
def test_age_in_completed_years(birth_date: str, youngest: int, oldest: int) -> None:
    age = age_of({"birthDate": birth_date}, dt.date(2026, 11, 23))
    assert age is not None and (age.youngest, age.oldest) == (youngest, oldest)


@pytest.mark.parametrize("birth_date", [None, "", "not a date", "2030-01-01", 19610101])
def test_unusable_birth_dates_give_no_age(birth_date: Any) -> None:
    assert age_of({"birthDate": birth_date}, dt.date(2026, 11, 23)) is None


def test_latest_weight_in_kg_from_pounds(knowledge: Knowledge) -> None:
    pounds = observation("29463-7", 176, "[lb_av]", days=5)
    request = hook_request([med_request()], observations=[weight(70, days=40), pounds])
    facts = facts_of(request, knowledge).patient
    assert facts.weight.value == pytest.approx(79.83, abs=0.01)


def test_stale_weight_is_kept_apart(knowledge: Knowledge) -> None:
    request = hook_request([med_request()], observations=[weight(30, days=200)])
    facts = facts_of(request, knowledge).patient
    assert facts.weight is None and facts.stale_weight is not None


def test_entered_in_error_and_future_observations_are_ignored(knowledge: Knowledge) -> None:
    wrong = observation("29463-7", 300, "kg", days=1, status="entered-in-error")
    future = observation("29463-7", 200, "kg", days=-5)
    request = hook_request([med_request()], observations=[weight(70, days=10), wrong, future])
    assert facts_of(request, knowledge).patient.weight.value == 70


def test_condition_statuses(knowledge: Knowledge) -> None:
    conditions = [
        condition(icd10="G40.909", display="Epilepsy", status=None),
        condition(icd10="K25.9", display="Gastric ulcer", status="remission"),
        condition(icd10="F20.9", display="Schizophrenia", status="recurrence"),
    ]
    ended = condition(icd10="G20", display="Parkinson's", status=None)
    ended["abatementDateTime"] = "2020-01-01"
    request = hook_request([med_request()], conditions=[*conditions, ended])
    facts = facts_of(request, knowledge).patient
    by_set = {next(iter(c.value_sets)): c.status for c in facts.conditions}
    assert by_set == {
        "epilepsy": ClinicalStatus.ACTIVE,
        "peptic_ulcer": ClinicalStatus.HISTORY,
        "psychosis": ClinicalStatus.ACTIVE,
        "parkinsons": ClinicalStatus.HISTORY,
    }


def test_icd10_codes_without_dots_match(knowledge: Knowledge) -> None:
    request = hook_request([med_request()], conditions=[condition(icd10="G40909", display="")])
    assert facts_of(request, knowledge).patient.conditions_in("epilepsy")


@pytest.mark.parametrize(
    "junk",
    [
        {
            "resourceType": "Bundle",
            "entry": [
                None,
                3,
                "x",
                {"resource": None},
                {"resource": {"resourceType": "Observation"}},
            ],
        },
        {
            "resourceType": "Bundle",
            "entry": [
                {
                    "resource": {
                        "resourceType": "Observation",
                        "code": "weight",
                        "valueQuantity": "80",
                    }
                }
            ],
        },
        {
            "resourceType": "Bundle",
            "entry": [{"resource": {"resourceType": "Condition", "code": {"coding": "G40"}}}],
        },
        {"resourceType": "Bundle", "entry": "nope"},
    ],
)
def test_malformed_prefetch_entries_are_tolerated(
    knowledge: Knowledge, junk: dict[str, Any]
) -> None:
    request = hook_request([med_request(BACLOFEN_10, [dosage(5)])])
    for key in ("observations", "conditions", "medications", "allergies"):
        request["prefetch"][key] = junk
    facts = facts_of(request, knowledge)
    assert len(facts.orders) == 1


def test_active_and_on_hold_orders_only(knowledge: Knowledge) -> None:
    active = [
        med_request(BACLOFEN_10, status=s) for s in ("active", "on-hold", "stopped", "completed")
    ]
    request = hook_request([med_request()], medications=active)
    assert len(facts_of(request, knowledge).patient.active_baclofen) == 2


def test_null_prefetch_means_no_data(knowledge: Knowledge) -> None:
    request = hook_request([med_request()])
    for key in ("medications", "conditions", "observations", "allergies"):
        request["prefetch"][key] = None
    facts = facts_of(request, knowledge)
    assert facts.patient.conditions == () and facts.patient.weight is None
