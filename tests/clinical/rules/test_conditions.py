"""Contraindications and cautions from conditions, by ICD-10-CM, SNOMED CT and text alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.clinical.conftest import Assess, action_resource, cards_by_code
from tests.factories import (
    BACLOFEN_10,
    BACLOFEN_SOLUTION_1,
    LOINC,
    SNOMED,
    allergy,
    condition,
    dosage,
    hook_request,
    med_request,
    observation,
    rxnorm_concept,
    weight,
)

Fired = Callable[..., dict[str, str]]

# rule -> (ICD-10-CM, SNOMED, text) for a condition that triggers it
CASES = {
    "contraindication-epilepsy": ("G40.909", "84757009", "Epilepsy"),
    "contraindication-psychosis": ("F20.9", "58214004", "Schizophrenia"),
    "contraindication-parkinsons": ("G20.A1", "49049000", "Parkinson's disease"),
    "contraindication-pregnancy": ("Z34.80", "77386006", "Pregnant"),
    "contraindication-lactation": ("Z39.1", "413712001", "Breastfeeding"),
    "contraindication-peptic-ulcer": ("K25.9", "397825006", "Gastric ulcer"),
    "excipient-lactose": ("E73.9", "267425008", "Lactose intolerance"),
    "caution-cerebrovascular": ("I63.9", "230690007", "Stroke"),
    "caution-respiratory": ("J44.9", "13645005", "COPD"),
    "interaction-alcohol": ("F10.20", "7200002", "Alcohol dependence"),
}
INDICATOR = {
    "excipient-lactose": "warning",
    "caution-cerebrovascular": "warning",
    "caution-respiratory": "warning",
    "interaction-alcohol": "warning",
}


def request_with(
    conditions: list[dict[str, Any]], medication: dict[str, Any] = BACLOFEN_10
) -> dict[str, Any]:
    return hook_request([med_request(medication, [dosage(5)])], conditions=conditions)


@pytest.mark.parametrize("rule", sorted(CASES))
@pytest.mark.parametrize("system", ["icd10", "snomed", "text"])
def test_each_code_system(fired: Fired, rule: str, system: str) -> None:
    icd10, snomed, text = CASES[rule]
    if system == "icd10":
        coded = condition(icd10=icd10, display="")
    elif system == "snomed":
        coded = condition(snomed=snomed, display="")
    else:
        coded = condition(text=text)
    assert fired(request_with([coded])).get(rule) == INDICATOR.get(rule, "critical")


@pytest.mark.parametrize("rule", sorted(CASES))
def test_refuted_and_entered_in_error_do_not_count(fired: Fired, rule: str) -> None:
    icd10, _, text = CASES[rule]
    for verification in ("refuted", "entered-in-error"):
        coded = condition(icd10=icd10, display=text, verification=verification)
        assert rule not in fired(request_with([coded]))


def test_text_negations_do_not_count(fired: Fired) -> None:
    for text in ("Family history of epilepsy", "No history of seizures", "Ruled out psychosis"):
        assert not fired(request_with([condition(text=text)])).keys() & {
            "contraindication-epilepsy",
            "contraindication-psychosis",
        }


@pytest.mark.parametrize(
    ("rule", "fires"),
    [
        ("contraindication-epilepsy", True),
        ("contraindication-psychosis", False),
        ("contraindication-parkinsons", False),
        ("caution-cerebrovascular", True),
    ],
)
def test_history_counts_only_where_the_rule_says(fired: Fired, rule: str, fires: bool) -> None:
    icd10, _, text = CASES[rule]
    coded = condition(icd10=icd10, display=text, status="resolved")
    assert (rule in fired(request_with([coded]))) is fires


def test_peptic_ulcer_active_is_critical_history_is_warning(fired: Fired) -> None:
    active = fired(request_with([condition(icd10="K26.9", display="Duodenal ulcer")]))
    assert active.get("contraindication-peptic-ulcer") == "critical"
    assert "caution-peptic-ulcer-history" not in active
    past = fired(
        request_with([condition(icd10="K26.9", display="Duodenal ulcer", status="resolved")])
    )
    assert past.get("caution-peptic-ulcer-history") == "warning"
    assert "contraindication-peptic-ulcer" not in past
    personal = fired(request_with([condition(icd10="Z87.11", display="Personal history of PUD")]))
    assert personal.get("caution-peptic-ulcer-history") == "warning"


def test_lactose_only_for_tablets(run: Assess, fired: Fired) -> None:
    coded = [condition(icd10="E73.9", display="Lactose intolerance")]
    assert "excipient-lactose" not in fired(request_with(coded, BACLOFEN_SOLUTION_1))
    card = cards_by_code(run(request_with(coded)))["excipient-lactose"]
    resource = action_resource(card)
    assert resource["medicationCodeableConcept"]["coding"][0]["code"] == "250976"


def test_pregnancy_from_observation(fired: Fired) -> None:
    pregnant = observation("82810-3", answer=(LOINC, "LA15173-0", "Pregnant"), days=5)
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])], observations=[weight(70), pregnant]
    )
    assert fired(request)["contraindication-pregnancy"] == "critical"


def test_a_later_not_pregnant_status_supersedes_an_old_problem_list_entry(fired: Fired) -> None:
    not_pregnant = observation("82810-3", answer=(LOINC, "LA26683-5", "Not pregnant"), days=5)
    old = condition(icd10="Z34.90", display="Pregnancy", onset_days_ago=400)
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])],
        conditions=[old],
        observations=[weight(70), not_pregnant],
    )
    assert "contraindication-pregnancy" not in fired(request)


def test_latest_pregnancy_status_wins(fired: Fired) -> None:
    older = observation("82810-3", answer=(LOINC, "LA15173-0", "Pregnant"), days=300)
    newer = observation("82810-3", answer=(LOINC, "LA26683-5", "Not pregnant"), days=3)
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])], observations=[weight(70), older, newer]
    )
    assert "contraindication-pregnancy" not in fired(request)


def test_pregnancy_in_established_therapy_says_taper(run: Assess) -> None:
    active = med_request(BACLOFEN_10, [dosage(10)], status="active", authored_days_ago=100)
    draft = med_request(BACLOFEN_10, [dosage(10)], prior=active["id"])
    request = hook_request(
        [draft],
        medications=[active],
        conditions=[condition(icd10="Z33.1", display="Pregnant state")],
    )
    card = cards_by_code(run(request))["contraindication-pregnancy"]
    assert "taper" in card.summary


def test_lactation_from_observation(fired: Fired) -> None:
    feeding = observation("63895-7", answer=(SNOMED, "413712001", "Breastfeeding (mother)"), days=5)
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])], observations=[weight(70), feeding]
    )
    assert fired(request)["contraindication-lactation"] == "critical"


@pytest.mark.parametrize(
    "code",
    [
        {"text": "Baclofen"},
        {"coding": [{"system": SNOMED, "code": "387342009", "display": "Baclofen (substance)"}]},
        rxnorm_concept("1292", "baclofen"),
        {"text": "Lioresal"},
    ],
)
def test_allergy_by_any_code_or_text(fired: Fired, code: dict[str, Any]) -> None:
    request = hook_request([med_request(BACLOFEN_10, [dosage(5)])], allergies=[allergy(code)])
    assert fired(request)["contraindication-hypersensitivity"] == "critical"


@pytest.mark.parametrize(
    ("verification", "fires"),
    [("unconfirmed", True), ("refuted", False), ("entered-in-error", False)],
)
def test_allergy_verification(fired: Fired, verification: str, fires: bool) -> None:
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])],
        allergies=[allergy({"text": "baclofen"}, verification=verification)],
    )
    assert ("contraindication-hypersensitivity" in fired(request)) is fires


def test_allergy_to_another_drug_is_ignored(fired: Fired) -> None:
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(5)])], allergies=[allergy({"text": "Penicillin"})]
    )
    assert "contraindication-hypersensitivity" not in fired(request)
