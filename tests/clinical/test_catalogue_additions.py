"""The clinical content an independent audit found missing or wrong, at its boundaries and with
codes from each code system: pregnancy and its end, psychosis in the history, lithium, MAO
inhibitors and other muscle relaxants, kidney function estimated from creatinine, kidney
monitoring, short courses, febrile convulsions, and cards a prescriber can trust."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.clinical.conftest import Assess, cards_by_code
from tests.factories import (
    BACLOFEN_10,
    BACLOFEN_IT_TEXT,
    INTRATHECAL,
    LOINC,
    RXNORM,
    SNOMED,
    allergy,
    condition,
    dosage,
    drug,
    egfr,
    hook_request,
    med_request,
    observation,
    patient,
    weight,
    years_ago,
)

Fired = Callable[..., dict[str, str]]


def start(**extra: Any) -> dict[str, Any]:
    return hook_request([med_request(BACLOFEN_10, [dosage(5)])], **extra)


def other(concept: dict[str, Any]) -> dict[str, Any]:
    return med_request(concept, [dosage(1, "tablet", frequency=1)], status="active")


def woman(age: int = 30) -> dict[str, Any]:
    return patient(years_ago(age, 30), "female")


# Pregnancy: the O chapter no longer counts whole ---------------------------------------------


@pytest.mark.parametrize(
    ("code", "pregnant"),
    [
        ("O09.90", True),  # supervision of high-risk pregnancy
        ("O24.419", True),  # gestational diabetes in pregnancy
        ("O99.011", True),  # anaemia complicating pregnancy, first trimester
        ("O99.810", True),  # abnormal glucose complicating pregnancy
        ("O99.02", False),  # anaemia complicating childbirth
        ("O99.03", False),  # anaemia complicating the puerperium
        ("O99.815", False),  # abnormal glucose complicating the puerperium
        ("O90.81", False),  # anaemia of the puerperium
        ("O80", False),  # single spontaneous delivery
        ("Z3A.20", True),  # 20 weeks of gestation
        ("Z34.00", True),
    ],
)
def test_pregnancy_by_icd10(fired: Fired, code: str, pregnant: bool) -> None:
    request = start(patient_resource=woman(), conditions=[condition(icd10=code, display="")])
    assert ("contraindication-pregnancy" in fired(request)) is pregnant


def test_pregnancy_by_snomed(fired: Fired) -> None:
    request = start(patient_resource=woman(), conditions=[condition(snomed="77386006")])
    assert fired(request)["contraindication-pregnancy"] == "critical"


def status(days: int, pregnant: bool = True) -> dict[str, Any]:
    answer = (SNOMED, "77386006", "Pregnant") if pregnant else (SNOMED, "60001007", "Not pregnant")
    return observation("82810-3", days=days, display="Pregnancy status", answer=answer)


@pytest.mark.parametrize(("days", "counts"), [(300, True), (301, False)])
def test_pregnant_status_counts_for_300_days(fired: Fired, days: int, counts: bool) -> None:
    request = start(patient_resource=woman(), observations=[weight(60), egfr(100), status(days)])
    assert ("contraindication-pregnancy" in fired(request)) is counts


def test_only_the_latest_status_counts(fired: Fired) -> None:
    statuses = [status(100), status(20, pregnant=False)]
    request = start(patient_resource=woman(), observations=[weight(60), egfr(100), *statuses])
    assert "contraindication-pregnancy" not in fired(request)


# Psychosis in the history ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coding", "clinical", "expected"),
    [
        ({"icd10": "F20.9"}, "active", ("contraindication-psychosis", "critical")),
        ({"icd10": "F20.9"}, "remission", ("caution-psychosis-history", "warning")),
        ({"snomed": "58214004"}, "resolved", ("caution-psychosis-history", "warning")),
        ({"text": "Schizophrenia"}, "inactive", ("caution-psychosis-history", "warning")),
    ],
)
def test_psychosis_active_or_in_the_history(
    fired: Fired, coding: dict[str, Any], clinical: str, expected: tuple[str, str]
) -> None:
    codes = fired(start(conditions=[condition(**coding, status=clinical)]))
    code, indicator = expected
    assert codes[code] == indicator
    other_code = {"contraindication-psychosis", "caution-psychosis-history"} - {code}
    assert not other_code & set(codes)


# Interactions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("concept", "code"),
    [
        (drug("lithium", rxnorm="6448"), "interaction-lithium"),
        (drug("", atc="N05AN01"), "interaction-lithium"),
        (drug("x", text="Lithium carbonate 300 mg capsule"), "interaction-lithium"),
        (drug("selegiline", rxnorm="9639"), "interaction-maoi"),
        (drug("", atc="N06AF03"), "interaction-maoi"),
        (drug("x", text="linezolid 600 mg tablet"), "interaction-maoi"),
        (drug("tizanidine", rxnorm="57258"), "interaction-cns-depressant"),
        (drug("", atc="M03BX08"), "interaction-cns-depressant"),
        (drug("x", text="methocarbamol 750 mg"), "interaction-cns-depressant"),
    ],
)
def test_lithium_maoi_and_muscle_relaxants(
    fired: Fired, concept: dict[str, Any], code: str
) -> None:
    codes = fired(start(medications=[other(concept)]))
    expected = "info" if code == "interaction-cns-depressant" else "warning"
    assert codes[code] == expected


def test_tizanidine_with_cyclobenzaprine_gets_a_card(fired: Fired) -> None:
    drugs = [other(drug("tizanidine", rxnorm="57258")), other(drug("cyclobenzaprine", "21949"))]
    assert fired(start(medications=drugs))["interaction-cns-depressant"] == "info"


def test_a_drug_recorded_by_code_alone_is_named(run: Assess) -> None:
    card = cards_by_code(run(start(medications=[other(drug("", atc="N05AN01"))])))
    assert "lithium (ATC N05AN01)" in (card["interaction-lithium"].detail or "")


# Kidney function from creatinine ------------------------------------------------------------


def creatinine(value: float, unit: str = "mg/dL", code: str = "2160-0", days: int = 30) -> Any:
    return observation(code, value, unit, days=days, display="Creatinine")


def test_cockcroft_gault_for_an_82_year_old_woman_of_50_kg(run: Assess) -> None:
    request = start(patient_resource=woman(82), observations=[weight(50), creatinine(2.4)])
    card = cards_by_code(run(request))["renal-contraindication"]
    assert "14.3 mL/min" in card.summary
    assert "estimated from serum creatinine 2.4 mg/dL" in (card.detail or "")
    assert "age 82, female, 50 kg" in (card.detail or "")


@pytest.mark.parametrize(
    ("creatinine_value", "expected"),
    [
        # (140 - 40) x 72 / (72 x c): c = 100/30 gives exactly 30 mL/min for a man of 72 kg
        (100 / 30, "renal-impairment"),
        (100 / 29.9, "renal-contraindication"),
        (100 / 60, None),
        (100 / 59.9, "renal-impairment"),
    ],
)
def test_cockcroft_gault_boundaries(
    fired: Fired, creatinine_value: float, expected: str | None
) -> None:
    request = start(
        patient_resource=patient(years_ago(40, 30), "male"),
        observations=[weight(72), creatinine(creatinine_value)],
    )
    codes = fired(request)
    found = {"renal-impairment", "renal-contraindication"} & set(codes)
    assert found == ({expected} if expected else set())


def test_creatinine_in_micromol_per_litre(run: Assess) -> None:
    # 2.4 mg/dL is 212.16 umol/L
    request = start(
        patient_resource=woman(82),
        observations=[weight(50), creatinine(212.16, "umol/L", "14682-9")],
    )
    assert "14.3 mL/min" in cards_by_code(run(request))["renal-contraindication"].summary


@pytest.mark.parametrize(
    "observations",
    [
        [creatinine(2.4)],  # no weight: no estimate
        [weight(50), creatinine(2.4, days=400)],  # creatinine older than 12 months
    ],
)
def test_no_estimate_without_everything_it_needs(
    fired: Fired, observations: list[dict[str, Any]]
) -> None:
    codes = fired(start(patient_resource=woman(82), observations=observations))
    assert "renal-contraindication" not in codes and "renal-impairment" not in codes


def test_a_measured_egfr_wins_over_the_estimate(fired: Fired) -> None:
    observations = [weight(50), creatinine(2.4), egfr(70, days=200)]
    codes = fired(start(patient_resource=woman(82), observations=observations))
    assert "renal-contraindication" not in codes


# Kidney monitoring --------------------------------------------------------------------------


@pytest.mark.parametrize(("age", "fires"), [(64, False), (65, True)])
def test_monitoring_renal_from_65(fired: Fired, age: int, fires: bool) -> None:
    request = start(patient_resource=patient(years_ago(age)), observations=[weight(70)])
    assert ("monitoring-renal" in fired(request)) is fires


@pytest.mark.parametrize(("days", "fires"), [(360, False), (370, True)])
def test_monitoring_renal_yearly(fired: Fired, days: int, fires: bool) -> None:
    request = start(
        patient_resource=patient(years_ago(70)), observations=[weight(70), egfr(80, days=days)]
    )
    assert ("monitoring-renal" in fired(request)) is fires


def test_monitoring_renal_with_ckd_coded_suggests_a_creatinine(run: Assess) -> None:
    request = start(
        conditions=[condition(icd10="N18.30", display="CKD stage 3 unspecified")],
        observations=[weight(70)],
    )
    card = cards_by_code(run(request))["monitoring-renal"]
    resource = card.suggestions[0].actions[0].resource
    assert resource is not None and resource["resourceType"] == "ServiceRequest"
    assert resource["code"]["coding"][0] == {
        "system": LOINC,
        "code": "2160-0",
        "display": "Creatinine [Mass/volume] in Serum or Plasma (with eGFR)",
    }


# Short courses -----------------------------------------------------------------------------


def stop_after(days: int, daily: float) -> dict[str, Any]:
    current = med_request(BACLOFEN_10, [dosage(daily / 3)], status="active", authored_days_ago=days)
    stop = {**current, "status": "stopped"}
    return hook_request([stop], medications=[current])


@pytest.mark.parametrize(
    ("days", "daily", "fires"), [(13, 30, False), (14, 30, True), (13, 31, True)]
)
def test_a_short_course_stops_without_a_taper(
    fired: Fired, days: int, daily: float, fires: bool
) -> None:
    assert ("abrupt-discontinuation" in fired(stop_after(days, daily))) is fires


# Febrile convulsions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "fires"),
    [
        ({"icd10": "R56.00", "display": "Simple febrile convulsions"}, False),
        ({"icd10": "R56.01", "display": "Complex febrile convulsions"}, False),
        ({"snomed": "41497008", "display": "Febrile convulsion"}, False),
        ({"text": "Febrile seizures in childhood"}, False),
        ({"icd10": "R56.9", "display": "Unspecified convulsions"}, True),
        ({"icd10": "G40.909", "display": "Epilepsy, unspecified"}, True),
        ({"text": "Epilepsy; febrile seizures as a toddler"}, True),
    ],
)
def test_febrile_convulsions_alone_are_not_epilepsy(
    fired: Fired, kw: dict[str, Any], fires: bool
) -> None:
    codes = fired(start(conditions=[condition(**kw, status="resolved")]))
    assert ("contraindication-epilepsy" in codes) is fires


# Cards a prescriber trusts ------------------------------------------------------------------


def test_override_reasons_fit_the_rule(run: Assess) -> None:
    request = start(
        conditions=[
            condition(icd10="G40.909", display="Epilepsy"),
            condition(icd10="N18.5", display="CKD stage 5"),
        ]
    )
    cards = cards_by_code(run(request))
    epilepsy = {r.code for r in cards["contraindication-epilepsy"].overrideReasons}
    renal = {r.code for r in cards["renal-contraindication"].overrideReasons}
    assert "specialist-antiepileptics" in epilepsy
    assert "specialist-antiepileptics" not in renal


def test_a_weight_based_limit_reads_as_mg_per_kg(run: Assess) -> None:
    request = hook_request(
        [med_request(BACLOFEN_10, [dosage(30)])],
        patient_resource=patient(years_ago(14, 30)),
        observations=[weight(40), egfr(110)],
    )
    card = cards_by_code(run(request))["pediatric-dose"]
    assert "2 mg/kg/day (80 mg/day at 40 kg)" in card.summary


def test_evidence_names_the_code_and_its_system(run: Assess) -> None:
    request = start(
        patient_resource=woman(),
        conditions=[condition(snomed="413712001")],
        allergies=[allergy({"coding": [{"system": RXNORM, "code": "1292"}]})],
    )
    cards = cards_by_code(run(request))
    assert "Breastfeeding (SNOMED 413712001)" in (cards["contraindication-lactation"].detail or "")
    assert "baclofen (RxNorm 1292)" in (cards["contraindication-hypersensitivity"].detail or "")


def test_intrathecal_doses_read_by_pump(run: Assess) -> None:
    pump = med_request(BACLOFEN_IT_TEXT, [dosage(1500, "mcg", frequency=1, route=INTRATHECAL)])
    card = cards_by_code(run(hook_request([pump])))["intrathecal-dose-high"]
    assert "1500 mcg/day by pump" in (card.detail or "")
    assert "once daily" not in (card.detail or "")


def test_patient_view_says_active_order(run: Assess) -> None:
    active = med_request(BACLOFEN_10, [dosage(30)], status="active", authored_days_ago=90)
    card = cards_by_code(run(hook_request(hook="patient-view", medications=[active])))
    detail = card["dose-above-label"].detail or ""
    assert "Active order:" in detail and "Ordered:" not in detail


def test_rounding_never_hides_the_problem(run: Assess) -> None:
    draft = med_request(BACLOFEN_10, [dosage(5, "mcg", frequency=3)])  # 0.015 mg/day
    card = cards_by_code(run(hook_request([draft])))["dose-unit-suspect"]
    assert "0.015 mg/day" in card.summary
