#!/usr/bin/env python3
"""Write the example requests of fixtures/ (numbers 15 and up) from compact specifications.

    .venv/bin/python scripts/make_fixtures.py

Fixtures 01-14 are the published example scenarios, kept as they are. The ones written here
use the builders of fhir_builders.py so every example is realistic and consistent. Each
expectation is written by hand below (not captured from the service): tests/clinical/
test_fixtures.py replays every file and checks the service against it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fhir_builders import (  # noqa: E402
    BACLOFEN_5,
    BACLOFEN_10,
    BACLOFEN_20,
    BACLOFEN_IT_TEXT,
    BACLOFEN_SOLUTION_1,
    INTRATHECAL,
    LOINC,
    ORAL,
    SNOMED,
    TODAY,
    UCUM,
    allergy,
    condition,
    crcl,
    dosage,
    drug,
    egfr,
    hook_request,
    med_request,
    observation,
    patient,
    rxnorm_concept,
    weight,
    years_ago,
)


@dataclass
class Spec:
    key: str
    name: str
    build: Callable[[], dict[str, Any]]
    present: dict[str, str]
    absent: list[str] = field(default_factory=list)
    strict: bool = True
    empty: bool = False
    service: str = "baclofen-order-sign"
    taper: bool = False
    titration: bool = False


def adult(*, age: int = 45, gender: str = "male") -> dict[str, Any]:
    return patient(years_ago(age, 30), gender)


def change(
    before: float,
    after: float,
    *,
    medication: dict[str, Any] = BACLOFEN_10,
    days: int = 20,
    per_day: int = 3,
    status: str = "draft",
    **extra: Any,
) -> dict[str, Any]:
    active = med_request(
        medication,
        [dosage(before / per_day, frequency=per_day)],
        status="active",
        authored_days_ago=days,
        rid="mr-active",
    )
    draft = med_request(
        medication,
        [dosage(after / per_day, frequency=per_day)],
        status=status,
        prior="mr-active",
        rid="mr-draft",
    )
    return hook_request([draft], medications=[active], **extra)


def start(
    daily: float = 15, *, medication: dict[str, Any] = BACLOFEN_10, per_day: int = 3, **extra: Any
) -> dict[str, Any]:
    draft = med_request(medication, [dosage(daily / per_day, frequency=per_day)], rid="mr-draft")
    return hook_request([draft], **extra)


def on_active(concept: dict[str, Any], **extra: Any) -> dict[str, Any]:
    other = med_request(
        concept,
        [dosage(1, "tablet", frequency=2)],
        status="active",
        authored_days_ago=90,
        rid="mr-other",
    )
    return _with_other(other, **extra)


def _with_other(other: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return _with_others([other], **extra)


def _with_others(others: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    request = change(30, 30, **extra)
    request["prefetch"]["medications"]["entry"] += [{"resource": other} for other in others]
    return request


def it_pump(
    mcg: float,
    *,
    status: str = "draft",
    prior: str | None = None,
    rid: str = "mr-draft",
    route: dict[str, Any] = INTRATHECAL,
) -> dict[str, Any]:
    return med_request(
        BACLOFEN_IT_TEXT,
        [dosage(mcg, "mcg", frequency=1, route=route)],
        status=status,
        prior=prior,
        rid=rid,
        authored_days_ago=0 if status != "active" else 120,
    )


def child_start(age: int, daily: float, kg: float | None) -> dict[str, Any]:
    observations = [egfr(110)] + ([weight(kg)] if kg is not None else [])
    draft = med_request(BACLOFEN_5, [dosage(daily / 3, frequency=3)], rid="mr-draft")
    return hook_request(
        [draft], patient_resource=patient(years_ago(age, 40)), observations=observations
    )


def child_change(age: int, before: float, after: float, kg: float) -> dict[str, Any]:
    return change(
        before,
        after,
        medication=BACLOFEN_5,
        patient_resource=patient(years_ago(age, 40)),
        observations=[weight(kg), egfr(110)],
    )


def patient_view(*, active: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return hook_request(hook="patient-view", medications=active, **extra)


def sandbox_order_select() -> dict[str, Any]:
    draft = {
        "resourceType": "MedicationRequest",
        "id": "request-123",
        "status": "draft",
        "subject": {"reference": "Patient/pat-1"},
        "medicationCodeableConcept": rxnorm_concept("197392", "Baclofen 20 MG Oral Tablet"),
        "dosageInstruction": [
            {
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": 2,
                            "unit": "{pill}",
                            "system": "http://unitsofmeasure.org",
                            "code": "{pill}",
                        }
                    }
                ],
                "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
            }
        ],
        "category": {"coding": [{"code": "outpatient"}]},
    }
    request = hook_request(
        [draft], hook="order-select", selections=["MedicationRequest/request-123"]
    )
    del request["context"]["draftOrders"]["type"]
    return request


def dstu2_sandbox_order() -> dict[str, Any]:
    """What the CDS Hooks sandbox sends on its default DSTU2 FHIR server: a MedicationOrder,
    ``timing.repeat.periodUnits``, the dose directly on the dosage instruction."""
    order = {
        "resourceType": "MedicationOrder",
        "id": "request-123",
        "status": "draft",
        "dateWritten": TODAY.isoformat(),
        "patient": {"reference": "Patient/pat-1"},
        "medicationCodeableConcept": rxnorm_concept("197391", "Baclofen 10 MG Oral Tablet"),
        "dosageInstruction": [
            {
                "doseQuantity": {
                    "value": 3,
                    "system": "http://unitsofmeasure.org",
                    "code": "{pill}",
                },
                "timing": {"repeat": {"frequency": 4, "period": 1, "periodUnits": "d"}},
            }
        ],
    }
    request = hook_request([order], hook="order-select", selections=["MedicationOrder/request-123"])
    del request["context"]["draftOrders"]["type"]
    return request


def other_drug(concept: dict[str, Any], rid: str = "mr-other") -> dict[str, Any]:
    """Another medicine the patient takes, twice daily for three months."""
    return med_request(
        concept, [dosage(1, "tablet", frequency=2)], status="active", authored_days_ago=90, rid=rid
    )


def active_oral(
    per_dose: float, per_day: int, *, rid: str, medication: dict[str, Any] = BACLOFEN_10
) -> dict[str, Any]:
    return med_request(
        medication,
        [dosage(per_dose, frequency=per_day)],
        status="active",
        authored_days_ago=180,
        rid=rid,
    )


def screening_bolus() -> dict[str, Any]:
    bolus = med_request(BACLOFEN_IT_TEXT, rid="mr-bolus")
    bolus["dosageInstruction"] = [
        {
            "text": "50 mcg intrathecal bolus, once",
            "route": INTRATHECAL,
            "timing": {"repeat": {"count": 1}},
            "doseAndRate": [
                {"doseQuantity": {"value": 50, "unit": "mcg", "system": UCUM, "code": "ug"}}
            ],
        }
    ]
    return hook_request([bolus])


SPECS: list[Spec] = [
    Spec(
        "15-stable-85-mg-day-above-us-label",
        "stable 85 mg/day: above the US label, within the leaflets",
        lambda: change(85, 85, medication=BACLOFEN_5, per_day=1, days=60),
        {"dose-above-label": "warning"},
    ),
    Spec(
        "16-child-3-y-contraindicated",
        "child of 3 years: contraindicated under 4",
        lambda: child_start(3, 15, 14),
        {"pediatric-age-contraindicated": "critical"},
        ["pediatric-caution"],
        strict=False,
    ),
    Spec(
        "17-teen-14-y-no-recent-weight",
        "14-year-old, last weight 5 months ago",
        lambda: hook_request(
            [med_request(BACLOFEN_10, [dosage(10)], rid="mr-draft")],
            patient_resource=patient(years_ago(14, 10)),
            observations=[weight(48, days=150), egfr(100)],
        ),
        {"weight-missing": "warning", "start-dose-high": "warning"},
    ),
    Spec(
        "18-egfr-45-at-60-mg-day",
        "eGFR 45 at 60 mg/day: renal cap of 40 mg/day",
        lambda: change(60, 60, days=40, observations=[weight(80), egfr(45)]),
        {"renal-impairment": "warning"},
    ),
    Spec(
        "19-ckd-stage-5-coded-icd10",
        "CKD stage 5 coded in ICD-10-CM, no recent eGFR",
        lambda: start(
            15,
            observations=[weight(70)],
            conditions=[condition(icd10="N18.5", display="Chronic kidney disease, stage 5")],
        ),
        {"renal-contraindication": "critical"},
        ["titration-plan"],
    ),
    Spec(
        "20-haemodialysis-snomed-and-crcl",
        "dependence on dialysis (SNOMED) with CrCl 12",
        lambda: start(
            15,
            observations=[weight(70), crcl(12)],
            conditions=[condition(snomed="105502003", display="Dependence on renal dialysis")],
        ),
        {"renal-contraindication": "critical"},
        ["renal-impairment"],
        strict=False,
    ),
    Spec(
        "21-epilepsy-in-history-resolved",
        "epilepsy recorded as resolved: still contraindicated",
        lambda: start(
            15,
            conditions=[
                condition(
                    icd10="G40.909",
                    display="Epilepsy, unspecified",
                    status="resolved",
                    onset_days_ago=4000,
                )
            ],
        ),
        {"contraindication-epilepsy": "critical"},
        strict=False,
    ),
    Spec(
        "22-parkinsons-snomed-only",
        "Parkinson's disease coded in SNOMED CT only",
        lambda: start(15, conditions=[condition(snomed="49049000", display="Parkinson's disease")]),
        {"contraindication-parkinsons": "critical"},
        strict=False,
    ),
    Spec(
        "23-pregnant-by-status-observation",
        "pregnancy status observation says pregnant",
        lambda: start(
            15,
            patient_resource=adult(age=31, gender="female"),
            observations=[
                weight(68),
                egfr(110),
                observation("82810-3", answer=(LOINC, "LA15173-0", "Pregnant"), days=4),
            ],
        ),
        {"contraindication-pregnancy": "critical"},
        strict=False,
    ),
    Spec(
        "24-breastfeeding-z39-1",
        "lactating mother (ICD-10-CM Z39.1)",
        lambda: start(
            15,
            patient_resource=adult(age=29, gender="female"),
            conditions=[
                condition(
                    icd10="Z39.1",
                    display="Encounter for care and examination of lactating mother",
                    onset_days_ago=30,
                )
            ],
        ),
        {"contraindication-lactation": "critical"},
        strict=False,
    ),
    Spec(
        "25-active-duodenal-ulcer",
        "active duodenal ulcer",
        lambda: start(
            15,
            conditions=[
                condition(icd10="K26.9", display="Duodenal ulcer, unspecified", onset_days_ago=20)
            ],
        ),
        {"contraindication-peptic-ulcer": "critical"},
        ["caution-peptic-ulcer-history"],
        strict=False,
    ),
    Spec(
        "26-peptic-ulcer-resolved",
        "gastric ulcer two years ago, resolved",
        lambda: start(
            15,
            conditions=[
                condition(
                    snomed="397825006",
                    display="Gastric ulcer",
                    status="resolved",
                    onset_days_ago=800,
                )
            ],
        ),
        {"caution-peptic-ulcer-history": "warning"},
        ["contraindication-peptic-ulcer"],
        strict=False,
    ),
    Spec(
        "27-lactose-intolerance-tablets",
        "lactose intolerance with a tablet order",
        lambda: start(
            15, conditions=[condition(icd10="E73.9", display="Lactose intolerance, unspecified")]
        ),
        {"excipient-lactose": "warning"},
        strict=False,
    ),
    Spec(
        "28-lactose-intolerance-oral-solution",
        "lactose intolerance with an oral solution: fine",
        lambda: hook_request(
            [med_request(BACLOFEN_SOLUTION_1, [dosage(5, "mL")], rid="mr-draft")],
            conditions=[condition(text="Lactose intolerance")],
        ),
        {"titration-plan": "info"},
        ["excipient-lactose"],
    ),
    Spec(
        "29-stroke-history-z86-73",
        "personal history of stroke (Z86.73)",
        lambda: start(
            15,
            conditions=[
                condition(
                    icd10="Z86.73",
                    display="Personal history of TIA and cerebral infarction",
                    onset_days_ago=1500,
                )
            ],
        ),
        {"caution-cerebrovascular": "warning"},
        strict=False,
    ),
    Spec(
        "30-copd-and-sleep-apnoea",
        "COPD and obstructive sleep apnoea",
        lambda: start(
            15,
            conditions=[
                condition(icd10="J44.9", display="COPD, unspecified"),
                condition(snomed="78275009", display="Obstructive sleep apnea syndrome"),
            ],
        ),
        {"caution-respiratory": "warning"},
        strict=False,
    ),
    Spec(
        "31-patient-view-diabetes-no-glucose",
        "patient-view: type 2 diabetes, no glucose in 6 months",
        lambda: patient_view(
            active=[med_request(BACLOFEN_10, [dosage(10)], status="active", authored_days_ago=200)],
            conditions=[
                condition(icd10="E11.9", display="Type 2 diabetes mellitus without complications")
            ],
            observations=[weight(90), egfr(85), observation("4548-4", 7.1, "%", days=250)],
        ),
        {"monitoring-glucose": "info"},
        service="baclofen-patient-view",
    ),
    Spec(
        "32-lorazepam",
        "active lorazepam (RxNorm ingredient)",
        lambda: on_active(drug("lorazepam 1 MG Oral Tablet", rxnorm="6470")),
        {"interaction-benzodiazepine": "warning"},
    ),
    Spec(
        "33-gabapentin-by-name",
        "active gabapentin, text only",
        lambda: on_active(drug("", text="Gabapentin 300 mg capsule")),
        {"interaction-cns-depressant": "info"},
    ),
    Spec(
        "34-amitriptyline-atc",
        "active amitriptyline coded in ATC only",
        lambda: on_active(drug("", atc="N06AA09", text="Amitriptyline")),
        {"interaction-tricyclic": "warning"},
    ),
    Spec(
        "35-carbidopa-levodopa",
        "active carbidopa/levodopa",
        lambda: on_active(drug("", text="carbidopa 25 MG / levodopa 100 MG Oral Tablet")),
        {"interaction-levodopa": "warning"},
    ),
    Spec(
        "36-lisinopril-and-amlodipine",
        "two antihypertensives: one card",
        lambda: _with_others(
            [
                med_request(
                    drug("lisinopril 10 MG Oral Tablet", rxnorm="29046"),
                    [dosage(1, "tablet", frequency=1)],
                    status="active",
                    rid="mr-ace",
                ),
                med_request(
                    drug("", text="Amlodipine 5 mg tablet"),
                    [dosage(1, "tablet", frequency=1)],
                    status="active",
                    rid="mr-ccb",
                ),
            ]
        ),
        {"interaction-antihypertensive": "info"},
    ),
    Spec(
        "37-allopurinol",
        "active allopurinol",
        lambda: on_active(drug("allopurinol 300 MG Oral Tablet", rxnorm="519")),
        {"interaction-antigout": "info"},
    ),
    Spec(
        "38-alcohol-dependence",
        "alcohol dependence (F10.20)",
        lambda: change(
            30,
            30,
            conditions=[condition(icd10="F10.20", display="Alcohol dependence, uncomplicated")],
        ),
        {"interaction-alcohol": "warning"},
    ),
    Spec(
        "39-new-order-beside-active-order",
        "new baclofen order without priorPrescription: duplicate",
        lambda: hook_request(
            [med_request(BACLOFEN_10, [dosage(10)], rid="mr-draft")],
            medications=[
                med_request(
                    BACLOFEN_10,
                    [dosage(10)],
                    status="active",
                    authored_days_ago=60,
                    rid="mr-active",
                )
            ],
        ),
        {"duplicate-therapy": "warning"},
    ),
    Spec(
        "40-tablets-of-unknown-strength",
        "'2 tablets three times daily' with no strength anywhere",
        lambda: hook_request(
            [med_request({"text": "Baclofen tablets"}, [dosage(2, "tablet")], rid="mr-draft")]
        ),
        {"dose-unverifiable": "warning"},
    ),
    Spec(
        "41-oral-dose-written-in-grams",
        "10 g three times daily: unit error",
        lambda: hook_request([med_request(BACLOFEN_10, [dosage(10, "g")], rid="mr-draft")]),
        {"dose-unit-suspect": "critical"},
        ["dose-above-max", "start-dose-high", "tablet-strength"],
    ),
    Spec(
        "42-intrathecal-dose-in-mg",
        "intrathecal pump dose of 900 written in mg instead of mcg",
        lambda: hook_request(
            [
                med_request(
                    BACLOFEN_IT_TEXT,
                    [dosage(900, "mg", frequency=1, route=INTRATHECAL)],
                    rid="mr-draft",
                )
            ]
        ),
        {"dose-unit-suspect": "critical"},
        ["intrathecal-dose-high"],
    ),
    Spec(
        "43-intrathecal-solution-by-mouth",
        "intrathecal solution ordered by mouth",
        lambda: hook_request([it_pump(500, route=ORAL)]),
        {"intrathecal-route": "critical"},
        strict=False,
    ),
    Spec(
        "44-intrathecal-1500-mcg-day",
        "intrathecal 1500 mcg/day",
        lambda: hook_request(
            [it_pump(1500, prior="mr-active")],
            medications=[it_pump(1400, status="active", rid="mr-active")],
        ),
        {"intrathecal-dose-high": "warning"},
    ),
    Spec(
        "45-intrathecal-2500-mcg-day",
        "intrathecal 2500 mcg/day",
        lambda: hook_request(
            [it_pump(2500, prior="mr-active")],
            medications=[it_pump(2400, status="active", rid="mr-active")],
        ),
        {"intrathecal-dose-high": "critical"},
    ),
    Spec(
        "46-intrathecal-stopped",
        "intrathecal pump order stopped",
        lambda: hook_request(
            [it_pump(800, status="stopped", prior="mr-active")],
            medications=[it_pump(800, status="active", rid="mr-active")],
        ),
        {"intrathecal-discontinuation": "critical"},
        taper=True,
    ),
    Spec(
        "47-no-birth-date",
        "patient without a birth date",
        lambda: start(15, patient_resource=patient(None)),
        {"data-missing": "warning"},
    ),
    Spec(
        "48-order-select-two-drafts",
        "order-select: only the selected baclofen order is checked",
        lambda: hook_request(
            [
                med_request(BACLOFEN_20, [dosage(40)], rid="mr-high"),
                med_request(BACLOFEN_10, [dosage(5)], rid="mr-low"),
            ],
            hook="order-select",
            selections=["MedicationRequest/mr-low"],
        ),
        {"titration-plan": "info"},
        ["dose-above-max", "duplicate-therapy"],
        service="baclofen-order-select",
    ),
    Spec(
        "49-raised-two-days-after-last-change",
        "30 -> 45 mg/day two days after the last change",
        lambda: change(30, 45, days=2),
        {"titration-too-fast": "warning"},
    ),
    Spec(
        "50-cut-60-to-30-at-once",
        "cut from 60 to 30 mg/day at once",
        lambda: change(60, 30, days=90),
        {"abrupt-discontinuation": "warning"},
    ),
    Spec(
        "51-unconfirmed-allergy-snomed",
        "unconfirmed baclofen allergy coded in SNOMED",
        lambda: start(
            15,
            allergies=[
                allergy(
                    {"coding": [{"system": SNOMED, "code": "387342009", "display": "Baclofen"}]},
                    verification="unconfirmed",
                )
            ],
        ),
        {"contraindication-hypersensitivity": "critical"},
        strict=False,
    ),
    Spec(
        "52-refuted-allergy",
        "refuted baclofen allergy: no card",
        lambda: start(15, allergies=[allergy({"text": "baclofen"}, verification="refuted")]),
        {"titration-plan": "info"},
        ["contraindication-hypersensitivity"],
    ),
    Spec(
        "53-elderly-increase",
        "79-year-old, 30 -> 45 mg/day",
        lambda: change(30, 45, days=7, patient_resource=adult(age=79)),
        {"elderly": "info"},
    ),
    Spec(
        "54-sandbox-order-select",
        "CDS Hooks sandbox style: no intent, no Bundle.type, 2 {pill} of 20 mg TID",
        sandbox_order_select,
        {"start-dose-high": "warning", "dose-above-max": "critical"},
        service="baclofen-order-select",
    ),
    Spec(
        "55-prn-with-daily-maximum",
        "10 mg as needed up to 90 mg/day",
        lambda: hook_request(
            [
                med_request(
                    BACLOFEN_10,
                    [dosage(10, frequency=6, as_needed=True, max_per_day=90)],
                    rid="mr-draft",
                    prior="mr-active",
                )
            ],
            medications=[
                med_request(
                    BACLOFEN_10,
                    [dosage(25)],
                    status="active",
                    authored_days_ago=30,
                    rid="mr-active",
                )
            ],
        ),
        {"dose-above-label": "warning", "tablet-strength": "info"},
    ),
    Spec(
        "56-patient-view-two-active-orders",
        "patient-view: two active baclofen orders",
        lambda: patient_view(
            active=[
                med_request(
                    BACLOFEN_10, [dosage(10)], status="active", authored_days_ago=200, rid="mr-a"
                ),
                med_request(
                    BACLOFEN_20,
                    [dosage(20, frequency=1)],
                    status="active",
                    authored_days_ago=30,
                    rid="mr-b",
                ),
            ]
        ),
        {"duplicate-therapy": "warning"},
        service="baclofen-patient-view",
    ),
    Spec(
        "57-child-5-y-above-band",
        "5-year-old at 40 mg/day: above the 30 mg/day band",
        lambda: child_change(5, 30, 40, kg=19),
        {"pediatric-dose": "warning", "pediatric-caution": "warning"},
    ),
    Spec(
        "58-new-start-in-renal-impairment",
        "new start 5 mg TID with eGFR 38",
        lambda: start(15, observations=[weight(75), egfr(38)]),
        {"renal-impairment": "warning", "titration-plan": "info"},
        titration=True,
    ),
    Spec(
        "59-psychosis-resolved-caution",
        "psychotic episode in remission: not contraindicated, a caution",
        lambda: start(
            15,
            conditions=[
                condition(icd10="F23", display="Brief psychotic disorder", status="remission")
            ],
        ),
        {"caution-psychosis-history": "warning", "titration-plan": "info"},
        ["contraindication-psychosis"],
    ),
    Spec(
        "61-new-start-30-mg-day-titration",
        "new start at 10 mg TID (30 mg/day): titrate from 5 mg TID",
        lambda: start(30),
        {"start-dose-high": "warning"},
        titration=True,
    ),
    Spec(
        "62-new-start-80-year-old-slow-titration",
        "80-year-old, new start at 20 mg TID: slow titration",
        lambda: start(60, patient_resource=adult(age=80), observations=[weight(66), egfr(72)]),
        {"start-dose-high": "warning", "elderly": "info"},
        titration=True,
    ),
    Spec(
        "63-child-8-y-new-start",
        "8-year-old, 26 kg, new start 5 mg TID: slow titration within the band",
        lambda: child_start(8, 15, 26),
        {"pediatric-caution": "warning", "titration-plan": "info"},
        titration=True,
    ),
    Spec(
        "64-stop-30-mg-day-at-70",
        "70-year-old stops 30 mg/day: a taper of at least 21 days",
        lambda: change(30, 30, status="stopped", days=200, patient_resource=adult(age=70)),
        {"abrupt-discontinuation": "warning"},
        taper=True,
    ),
    Spec(
        "65-stop-80-mg-day",
        "stop 80 mg/day (high dose): a taper of at least 21 days",
        lambda: change(80, 80, medication=BACLOFEN_5, per_day=4, status="stopped", days=300),
        {"abrupt-discontinuation": "warning"},
        taper=True,
    ),
    Spec(
        "66-pregnant-on-established-therapy",
        "pregnancy recorded while on 30 mg/day: taper, do not stop",
        lambda: change(
            30,
            30,
            days=120,
            patient_resource=adult(age=30, gender="female"),
            conditions=[
                condition(
                    icd10="Z34.90",
                    display="Encounter for supervision of normal pregnancy",
                    onset_days_ago=40,
                )
            ],
        ),
        {"contraindication-pregnancy": "critical"},
        taper=True,
    ),
    Spec(
        "67-stop-60-mg-day-on-20-mg-tablets",
        "stop 60 mg/day on 20 mg tablets: the taper uses 10 mg tablets",
        lambda: change(60, 60, medication=BACLOFEN_20, status="cancelled", days=150),
        {"abrupt-discontinuation": "warning"},
        taper=True,
    ),
    Spec(
        "60-ibuprofen-only-order-select",
        "order-select of a non-baclofen order",
        lambda: hook_request(
            [med_request({"text": "ibuprofen 400 mg tablet"}, [dosage(400)], rid="mr-ibu")],
            hook="order-select",
        ),
        {},
        empty=True,
        service="baclofen-order-select",
    ),
    Spec(
        "68-patient-view-120-mg-day-for-six-months",
        "patient-view, 30 mg four times daily for six months: the correction tapers from 120",
        lambda: patient_view(active=[active_oral(30, 4, rid="mr-active")]),
        {"dose-above-max": "critical"},
        service="baclofen-patient-view",
        taper=True,
    ),
    Spec(
        "69-medication-list-unavailable",
        "the medication list could not be obtained: no start or change is assumed",
        lambda: start(60, omit=("medications",)),
        {"data-missing": "warning"},
        absent=["start-dose-high", "titration-plan", "titration-too-fast"],
    ),
    Spec(
        "70-oral-bridging-beside-a-pump",
        "5 mg three times daily by mouth beside a 500 mcg/day pump: judged as an oral start",
        lambda: hook_request(
            [med_request(BACLOFEN_10, [dosage(5)], rid="mr-draft")],
            medications=[it_pump(500, status="active", rid="mr-pump")],
        ),
        {},
        strict=True,
        titration=True,
    ),
    Spec(
        "71-intrathecal-put-on-hold",
        "an intrathecal order put on hold: a gradual reduction, never a stop",
        lambda: hook_request(
            [it_pump(600, status="on-hold", rid="mr-pump")],
            medications=[it_pump(600, status="active", rid="mr-pump")],
        ),
        {"intrathecal-discontinuation": "critical"},
        taper=True,
    ),
    Spec(
        "72-new-start-60-mg-day-on-20-mg-tablets",
        "new start at 60 mg/day on 20 mg tablets: the titration starts at 5 mg three times daily",
        lambda: start(60, medication=BACLOFEN_20),
        {"start-dose-high": "warning"},
        titration=True,
    ),
    Spec(
        "73-sandbox-dstu2-medication-order",
        "the CDS Hooks sandbox on DSTU2: 3 x 10 mg four times daily is 120 mg/day",
        dstu2_sandbox_order,
        {"dose-above-max": "critical", "start-dose-high": "warning"},
        service="baclofen-order-select",
        titration=True,
    ),
    Spec(
        "74-two-new-drafts-one-start",
        "two new drafts in one call (30 + 20 mg/day): one start, one schedule",
        lambda: hook_request(
            [
                med_request(BACLOFEN_10, [dosage(10, frequency=3)], rid="mr-draft"),
                med_request(BACLOFEN_5, [dosage(10, frequency=2)], rid="mr-draft-2"),
            ]
        ),
        {"start-dose-high": "warning", "duplicate-therapy": "warning"},
        titration=True,
    ),
    Spec(
        "75-elderly-renal-new-start-one-schedule",
        "80-year-old, eGFR 45, new start at 30 mg/day: one slow titration for three cards",
        lambda: start(
            30,
            patient_resource=adult(age=80, gender="female"),
            observations=[weight(62), egfr(45)],
        ),
        {"start-dose-high": "warning", "renal-impairment": "warning"},
        titration=True,
    ),
    Spec(
        "76-parkinsons-elderly-no-titration",
        "Parkinson's disease at 78, new start: the contraindication, and no titration beside it",
        lambda: start(
            15,
            patient_resource=adult(age=78),
            conditions=[condition(snomed="49049000", display="Parkinson's disease")],
        ),
        {"contraindication-parkinsons": "critical"},
        absent=["titration-plan"],
    ),
    Spec(
        "77-intrathecal-screening-bolus",
        "an intrathecal screening bolus of 50 mcg (count 1): one dose, not unverifiable",
        screening_bolus,
        {},
        absent=["dose-unverifiable"],
    ),
    Spec(
        "78-patient-view-two-oral-orders-above-the-maximum",
        "patient-view, 60 + 50 mg/day in two active orders: critical, and no abrupt stop",
        lambda: patient_view(
            active=[
                active_oral(20, 3, rid="mr-a", medication=BACLOFEN_20),
                active_oral(25, 2, rid="mr-b"),
            ]
        ),
        {"duplicate-therapy": "critical"},
        service="baclofen-patient-view",
    ),
    Spec(
        "79-lithium-by-atc",
        "lithium carbonate (ATC N05AN01) beside a new start",
        lambda: start(
            15,
            medications=[other_drug(drug("lithium carbonate 300 MG Oral Capsule", atc="N05AN01"))],
        ),
        {"interaction-lithium": "warning"},
        titration=True,
    ),
    Spec(
        "80-phenelzine-rxnorm",
        "phenelzine (RxNorm 8123, a MAO inhibitor) beside a new start",
        lambda: start(15, medications=[other_drug(drug("phenelzine", rxnorm="8123"))]),
        {"interaction-maoi": "warning"},
        titration=True,
    ),
    Spec(
        "81-age-70-no-kidney-function-on-record",
        "70-year-old with no creatinine, CrCl or eGFR on record: check kidney function",
        lambda: start(15, patient_resource=adult(age=70), observations=[weight(75)]),
        {"monitoring-renal": "info", "elderly": "info"},
        strict=True,
        titration=True,
    ),
    Spec(
        "82-cockcroft-gault-82-year-old-woman",
        "82-year-old woman, 50 kg, creatinine 2.4 mg/dL and no eGFR: CrCl about 14 mL/min",
        lambda: start(
            15,
            patient_resource=adult(age=82, gender="female"),
            observations=[
                weight(50),
                observation("2160-0", 2.4, "mg/dL", days=30, display="Creatinine"),
            ],
        ),
        {"renal-contraindication": "critical"},
    ),
    Spec(
        "83-tizanidine-and-cyclobenzaprine",
        "tizanidine and cyclobenzaprine (other muscle relaxants) beside baclofen",
        lambda: start(
            15,
            medications=[
                other_drug(drug("tizanidine 4 MG Oral Tablet", rxnorm="57258")),
                other_drug(drug("cyclobenzaprine", atc="M03BX08"), rid="mr-other-2"),
            ],
        ),
        {"interaction-cns-depressant": "info"},
        titration=True,
    ),
    Spec(
        "84-febrile-convulsions-in-childhood",
        "febrile convulsions in childhood (ICD-10-CM R56.00): not epilepsy",
        lambda: start(
            15,
            conditions=[
                condition(icd10="R56.00", display="Simple febrile convulsions", status="resolved")
            ],
        ),
        {},
        absent=["contraindication-epilepsy"],
        titration=True,
    ),
    Spec(
        "85-anaemia-of-the-puerperium",
        "anaemia of the puerperium (O90.81) after delivery: not pregnant",
        lambda: start(
            15,
            patient_resource=adult(age=31, gender="female"),
            conditions=[condition(icd10="O90.81", display="Anemia of the puerperium")],
        ),
        {},
        absent=["contraindication-pregnancy"],
        titration=True,
    ),
    Spec(
        "86-stop-after-ten-days-at-15-mg",
        "stop 15 mg/day begun ten days ago: a short course ends without withdrawal",
        lambda: change(15, 15, status="stopped", days=10),
        {},
        absent=["abrupt-discontinuation"],
    ),
    Spec(
        "87-pregnant-status-310-days-old",
        "'pregnant' as the latest status, recorded 310 days ago: no longer counts",
        lambda: start(
            15,
            patient_resource=adult(age=29, gender="female"),
            observations=[
                weight(64),
                egfr(100),
                observation(
                    "82810-3",
                    days=310,
                    display="Pregnancy status",
                    answer=(SNOMED, "77386006", "Pregnant"),
                ),
            ],
        ),
        {},
        absent=["contraindication-pregnancy"],
        titration=True,
    ),
]


def document(spec: Spec) -> dict[str, Any]:
    expect: dict[str, Any] = {
        "present": spec.present,
        "absent": spec.absent,
        "strict": spec.strict,
        "empty": spec.empty,
    }
    if spec.taper:
        expect["taper"] = True
    if spec.titration:
        expect["titration"] = True
    request = spec.build()
    request["hookInstance"] = f"00000000-0000-4000-8000-{int(spec.key[:2]):012d}"
    return {
        "name": spec.name,
        "service": spec.service,
        "evaluationDate": TODAY.isoformat(),
        "request": request,
        "expect": expect,
    }


def main() -> int:
    out = ROOT / "fixtures"
    for spec in SPECS:
        path = out / f"{spec.key}.json"
        path.write_text(
            json.dumps(document(spec), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    print(f"wrote {len(SPECS)} fixtures to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
