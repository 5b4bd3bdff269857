"""Builders of realistic FHIR R4 data and CDS Hooks requests, dated against 2026-11-23.

Tooling owns this module: ``scripts/make_fixtures.py`` writes the example files of
``fixtures/`` with it and ``bench/workloads.py`` builds the benchmark's requests. The tests
use it too (through ``tests/factories.py``; boundaries are easiest to read as one changed
argument), but tooling never imports the tests. Not part of the service's package.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

__all__ = [
    "ATC",
    "BACLOFEN_5",
    "BACLOFEN_10",
    "BACLOFEN_20",
    "BACLOFEN_IT_TEXT",
    "BACLOFEN_SOLUTION_1",
    "ICD10CM",
    "INTRATHECAL",
    "LOINC",
    "ORAL",
    "PATIENT_ID",
    "RXNORM",
    "SNOMED",
    "TODAY",
    "UCUM",
    "allergy",
    "condition",
    "crcl",
    "days_ago",
    "dosage",
    "dose_quantity",
    "drug",
    "egfr",
    "hook_request",
    "med_request",
    "new_id",
    "observation",
    "patient",
    "rxnorm_concept",
    "searchset",
    "weight",
    "years_ago",
]

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"

TODAY = dt.date(2026, 11, 23)
PATIENT_ID = "pat-1"
_ids = itertools.count(1000)

ORAL = {"coding": [{"system": SNOMED, "code": "26643006", "display": "Oral route"}]}
INTRATHECAL = {"coding": [{"system": SNOMED, "code": "72607000", "display": "Intrathecal route"}]}


def rxnorm_concept(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": RXNORM, "code": code, "display": display}], "text": display}


BACLOFEN_10 = rxnorm_concept("197391", "baclofen 10 MG Oral Tablet")
BACLOFEN_20 = rxnorm_concept("197392", "baclofen 20 MG Oral Tablet")
BACLOFEN_5 = rxnorm_concept("430902", "baclofen 5 MG Oral Tablet")
BACLOFEN_SOLUTION_1 = rxnorm_concept("250976", "baclofen 1 MG/ML Oral Solution")
BACLOFEN_IT_TEXT = {"text": "baclofen 2 MG/ML Intrathecal Solution"}


def new_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def days_ago(days: int, today: dt.date = TODAY) -> str:
    return f"{(today - dt.timedelta(days=days)).isoformat()}T09:00:00Z"


def years_ago(years: int, days_extra: int = 0, today: dt.date = TODAY) -> str:
    """A birth date making the patient exactly ``years`` old today (+ days_extra days older)."""
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return (born - dt.timedelta(days=days_extra)).isoformat()


def patient(
    birth_date: str | None = "1981-10-24", gender: str = "male", pid: str = PATIENT_ID
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": "MRN-448812"}],
        "name": [{"family": "Testpatient", "given": ["Quinn"]}],
        "gender": gender,
    }
    if birth_date is not None:
        resource["birthDate"] = birth_date
    return resource


def dose_quantity(value: float, unit: str = "mg", code: str | None = None) -> dict[str, Any]:
    ucum = code if code is not None else {"mcg": "ug", "tablet": "{tbl}"}.get(unit, unit)
    return {"value": value, "unit": unit, "system": UCUM, "code": ucum}


def dosage(
    dose: float | None = 5,
    unit: str = "mg",
    *,
    frequency: int | None = 3,
    period: float = 1,
    period_unit: str = "d",
    timing: dict[str, Any] | None = None,
    route: dict[str, Any] | None = ORAL,
    sequence: int | None = None,
    days: int | None = None,
    as_needed: bool = False,
    max_per_day: float | None = None,
    rate: dict[str, Any] | None = None,
    dose_range: tuple[float, float] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if sequence is not None:
        entry["sequence"] = sequence
    if timing is not None:
        entry["timing"] = timing
    elif frequency is not None:
        repeat: dict[str, Any] = {
            "frequency": frequency,
            "period": period,
            "periodUnit": period_unit,
        }
        if days is not None:
            repeat["boundsDuration"] = {"value": days, "unit": "d", "system": UCUM, "code": "d"}
        entry["timing"] = {"repeat": repeat}
    if route is not None:
        entry["route"] = route
    dose_and_rate: dict[str, Any] = {
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/dose-rate-type",
                    "code": "ordered",
                }
            ]
        }
    }
    if dose_range is not None:
        dose_and_rate["doseRange"] = {
            "low": dose_quantity(dose_range[0], unit),
            "high": dose_quantity(dose_range[1], unit),
        }
    elif dose is not None:
        dose_and_rate["doseQuantity"] = dose_quantity(dose, unit)
    if rate is not None:
        dose_and_rate["rateQuantity"] = rate
    if len(dose_and_rate) > 1:
        entry["doseAndRate"] = [dose_and_rate]
    if as_needed:
        entry["asNeededBoolean"] = True
    if max_per_day is not None:
        entry["maxDosePerPeriod"] = {
            "numerator": dose_quantity(max_per_day, unit),
            "denominator": {"value": 1, "unit": "d", "system": UCUM, "code": "d"},
        }
    if dose is not None and frequency is not None and timing is None and rate is None:
        entry["text"] = f"{dose:g} {unit} {frequency} times per {period:g} {period_unit}"
    return entry


def med_request(
    medication: dict[str, Any] | None = None,
    dosages: list[dict[str, Any]] | None = None,
    *,
    status: str = "draft",
    authored_days_ago: int = 0,
    rid: str | None = None,
    prior: str | None = None,
    medication_reference: str | None = None,
    contained: list[dict[str, Any]] | None = None,
    today: dt.date = TODAY,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid or new_id("mr"),
        "status": status,
        "intent": "order",
    }
    if contained:
        resource["contained"] = contained
    if medication_reference is not None:
        resource["medicationReference"] = {"reference": medication_reference}
    else:
        resource["medicationCodeableConcept"] = (
            medication if medication is not None else BACLOFEN_10
        )
    resource["subject"] = {"reference": f"Patient/{PATIENT_ID}"}
    resource["authoredOn"] = days_ago(authored_days_ago, today)
    if dosages is not None:
        resource["dosageInstruction"] = dosages
    else:
        resource["dosageInstruction"] = [dosage()]
    if prior is not None:
        resource["priorPrescription"] = {"reference": f"MedicationRequest/{prior}"}
    return resource


def drug(
    name: str, rxnorm: str | None = None, atc: str | None = None, text: str | None = None
) -> dict[str, Any]:
    codings = []
    if rxnorm is not None:
        codings.append({"system": RXNORM, "code": rxnorm, "display": name})
    if atc is not None:
        codings.append({"system": ATC, "code": atc})
    concept: dict[str, Any] = {}
    if codings:
        concept["coding"] = codings
    if text is not None:
        concept["text"] = text
    elif rxnorm is not None:
        concept["text"] = name
    return concept


def condition(
    *,
    icd10: str | None = None,
    snomed: str | None = None,
    display: str = "",
    text: str | None = None,
    status: str | None = "active",
    verification: str = "confirmed",
    onset_days_ago: int | None = 400,
) -> dict[str, Any]:
    codings = []
    if icd10 is not None:
        codings.append({"system": ICD10CM, "code": icd10, "display": display})
    if snomed is not None:
        codings.append({"system": SNOMED, "code": snomed, "display": display})
    code: dict[str, Any] = {}
    if codings:
        code["coding"] = codings
    if text is not None:
        code["text"] = text
    elif display:
        code["text"] = display
    resource: dict[str, Any] = {"resourceType": "Condition", "id": new_id("cond")}
    if status is not None:
        resource["clinicalStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": status,
                }
            ]
        }
    resource["verificationStatus"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": verification,
            }
        ]
    }
    resource["code"] = code
    resource["subject"] = {"reference": f"Patient/{PATIENT_ID}"}
    if onset_days_ago is not None:
        resource["onsetDateTime"] = days_ago(onset_days_ago)
    return resource


def observation(
    loinc: str,
    value: float | None = None,
    unit: str = "",
    *,
    days: int = 10,
    display: str = "",
    comparator: str | None = None,
    answer: tuple[str, str, str] | None = None,
    status: str = "final",
    today: dt.date = TODAY,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": new_id("obs"),
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": display or loinc}]},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": days_ago(days, today),
    }
    if value is not None:
        quantity: dict[str, Any] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
        if comparator is not None:
            quantity["comparator"] = comparator
        resource["valueQuantity"] = quantity
    if answer is not None:
        system, code, answer_display = answer
        resource["valueCodeableConcept"] = {
            "coding": [{"system": system, "code": code, "display": answer_display}]
        }
    return resource


def weight(kg: float, days: int = 20, today: dt.date = TODAY) -> dict[str, Any]:
    return observation("29463-7", kg, "kg", days=days, display="Body weight", today=today)


def egfr(
    value: float, days: int = 60, code: str = "98979-8", comparator: str | None = None
) -> dict[str, Any]:
    return observation(
        code, value, "mL/min/{1.73_m2}", days=days, display="eGFR", comparator=comparator
    )


def crcl(value: float, days: int = 60) -> dict[str, Any]:
    return observation("35591-7", value, "mL/min", days=days, display="Creatinine clearance")


def allergy(
    code: dict[str, Any], *, verification: str = "confirmed", clinical: str = "active"
) -> dict[str, Any]:
    return {
        "resourceType": "AllergyIntolerance",
        "id": new_id("al"),
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "code": clinical,
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                    "code": verification,
                }
            ]
        },
        "category": ["medication"],
        "code": code,
        "patient": {"reference": f"Patient/{PATIENT_ID}"},
    }


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"http://ehr.example.org/fhir/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def hook_request(
    drafts: list[dict[str, Any]] | None = None,
    *,
    hook: str = "order-sign",
    patient_resource: dict[str, Any] | None = None,
    medications: list[dict[str, Any]] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    observations: list[dict[str, Any]] | None = None,
    allergies: list[dict[str, Any]] | None = None,
    selections: list[str] | None = None,
    omit: tuple[str, ...] = (),
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "userId": "Practitioner/prac-1",
        "patientId": PATIENT_ID,
        "encounterId": "enc-1",
    }
    if hook != "patient-view":
        context["draftOrders"] = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": d} for d in (drafts or [])],
        }
    if hook == "order-select":
        context["selections"] = selections or [
            f"MedicationRequest/{d['id']}" for d in (drafts or [])
        ]
    prefetch: dict[str, Any] = {
        "patient": patient_resource if patient_resource is not None else patient(),
        "medications": searchset(medications or []),
        "conditions": searchset(conditions or []),
        "observations": searchset(
            observations if observations is not None else [weight(80), egfr(95)]
        ),
        "allergies": searchset(allergies or []),
    }
    for key in omit:
        prefetch.pop(key)
    return {
        "hook": hook,
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": context,
        "prefetch": prefetch,
    }
