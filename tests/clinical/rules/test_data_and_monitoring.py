"""data-missing (fail loud) and the monitoring rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.clinical.conftest import Assess, action_resource, cards_by_code
from tests.factories import (
    BACLOFEN_10,
    condition,
    dosage,
    hook_request,
    med_request,
    observation,
    patient,
    weight,
)

Fired = Callable[..., dict[str, str]]


def test_no_birth_date_is_data_missing(run: Assess) -> None:
    request = hook_request([med_request(BACLOFEN_10, [dosage(5)])], patient_resource=patient(None))
    card = cards_by_code(run(request))["data-missing"]
    assert card.indicator == "warning"
    assert "birth date" in card.summary


def test_unavailable_prefetch_keys_are_named_with_the_reason(run: Assess) -> None:
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])], omit=("conditions", "allergies")
    )
    result = run(
        request,
        unavailable={"conditions": "FHIR server answered 401", "allergies": "timed out after 3 s"},
    )
    card = cards_by_code(result)["data-missing"]
    assert card.detail is not None
    assert "FHIR server answered 401" in card.detail and "timed out after 3 s" in card.detail
    assert "problem list" in card.summary and "allergy list" in card.summary


def test_nothing_missing_no_card(fired: Fired) -> None:
    assert "data-missing" not in fired(hook_request([med_request(BACLOFEN_10, [dosage(5)])]))


def test_no_baclofen_no_card_even_with_missing_data(fired: Fired) -> None:
    ibuprofen = {"text": "ibuprofen 200 mg tablet"}
    request = hook_request([med_request(ibuprofen, [dosage(200)])], patient_resource=patient(None))
    assert fired(request) == {}


@pytest.mark.parametrize(
    ("coded", "lab", "rule"),
    [
        ({"icd10": "K74.60", "display": "Cirrhosis of liver"}, "1742-6", "monitoring-hepatic"),
        ({"snomed": "19943007", "display": "Cirrhosis of liver"}, "1920-8", "monitoring-hepatic"),
        ({"text": "Non-alcoholic fatty liver disease"}, "6768-6", "monitoring-hepatic"),
        ({"icd10": "E11.9", "display": "Type 2 diabetes mellitus"}, "4548-4", "monitoring-glucose"),
        (
            {"snomed": "44054006", "display": "Diabetes mellitus type 2"},
            "2345-7",
            "monitoring-glucose",
        ),
        ({"text": "Type 1 diabetes"}, "2339-0", "monitoring-glucose"),
    ],
)
# 2026-11-23 minus 6 months is 2026-05-23, 184 days earlier: still recent; 185 is not.
@pytest.mark.parametrize(("lab_days", "fires"), [(None, True), (184, False), (185, True)])
def test_monitoring(
    fired: Fired, coded: dict[str, str], lab: str, rule: str, lab_days: int | None, fires: bool
) -> None:
    observations = [weight(80)]
    if lab_days is not None:
        observations.append(observation(lab, 40, "U/L", days=lab_days))
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])],
        conditions=[condition(**coded)],  # type: ignore[arg-type]
        observations=observations,
    )
    assert (fired(request).get(rule) == "info") is fires


def test_diabetes_insipidus_is_not_diabetes(fired: Fired) -> None:
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])], conditions=[condition(text="Diabetes insipidus")]
    )
    assert "monitoring-glucose" not in fired(request)


def test_monitoring_suggests_the_test(run: Assess) -> None:
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])],
        conditions=[condition(icd10="E11.9", display="Type 2 diabetes mellitus")],
    )
    resource = action_resource(cards_by_code(run(request))["monitoring-glucose"])
    assert (
        resource["resourceType"] == "ServiceRequest"
        and resource["code"]["coding"][0]["code"] == "2345-7"
    )


def test_an_order_whose_medication_cannot_be_identified_is_reported(run: Assess) -> None:
    draft = med_request(medication_reference="Medication/nowhere", dosages=[dosage(10)])
    card = cards_by_code(run(hook_request([draft])))["data-missing"]
    assert "could not be identified" in card.summary
    assert card.detail is not None and draft["id"] in card.detail


def test_a_reference_with_a_display_is_identified(fired: Fired) -> None:
    draft = med_request(medication_reference="Medication/nowhere", dosages=[dosage(5)])
    draft["medicationReference"]["display"] = "baclofen 10 mg tablet"
    assert "titration-plan" in fired(hook_request([draft]))
