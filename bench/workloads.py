"""The benchmark workloads: realistic hook requests of four shapes.

- ``typical``: an order-sign for an established patient, full prefetch of about 60 resources.
- ``heavy``: the same order for a patient with 1,000 observations, 300 conditions and 100
  medications in prefetch.
- ``patient-view``: the chart of a patient on baclofen opens.
- ``no-baclofen``: an order-sign for another drug (the service must answer fast and empty).

All are built with the same builders as the tests (fhir_builders.py), dated against
2026-11-23; the benchmark pins the service's clock to that day.
"""

from __future__ import annotations

import itertools
from typing import Any

from fhir_builders import (
    BACLOFEN_10,
    condition,
    dosage,
    drug,
    egfr,
    hook_request,
    med_request,
    observation,
    weight,
)

SERVICES = {
    "typical": "baclofen-order-sign",
    "heavy": "baclofen-order-sign",
    "patient-view": "baclofen-patient-view",
    "no-baclofen": "baclofen-order-sign",
}

_OTHER_DRUGS = [
    drug("lisinopril 10 MG Oral Tablet", rxnorm="314076"),
    drug("metformin hydrochloride 500 MG Oral Tablet", rxnorm="861007"),
    drug("atorvastatin 20 MG Oral Tablet", rxnorm="617310"),
    drug("omeprazole 20 MG Delayed Release Oral Capsule", rxnorm="200329"),
    drug("sertraline 50 MG Oral Tablet", rxnorm="312940"),
    drug("vitamin D3 1000 UNT Oral Tablet", rxnorm="636676"),
    drug("acetaminophen 500 MG Oral Tablet", rxnorm="198440"),
    drug("oxybutynin chloride 5 MG Oral Tablet", rxnorm="863619"),
]
_CONDITIONS = [
    {"icd10": "G35", "display": "Multiple sclerosis"},
    {"icd10": "I10", "display": "Essential (primary) hypertension"},
    {"icd10": "E78.5", "display": "Hyperlipidemia, unspecified"},
    {"icd10": "K21.9", "display": "Gastro-esophageal reflux disease without esophagitis"},
    {"icd10": "F32.A", "display": "Depression, unspecified"},
    {"icd10": "N31.9", "display": "Neuromuscular dysfunction of bladder, unspecified"},
    {"snomed": "267036007", "display": "Dyspnea"},
    {"icd10": "M62.838", "display": "Other muscle spasm"},
    {"icd10": "R26.89", "display": "Other abnormalities of gait and mobility"},
    {"icd10": "Z79.899", "display": "Other long term (current) drug therapy"},
]
_LABS = [
    ("2345-7", 98, "mg/dL"),
    ("1742-6", 22, "U/L"),
    ("1920-8", 25, "U/L"),
    ("4548-4", 5.6, "%"),
]


def _patient_record(medications: int, conditions: int, observations: int) -> dict[str, Any]:
    active = med_request(
        BACLOFEN_10, [dosage(10)], status="active", authored_days_ago=40, rid="mr-active"
    )
    others = [
        med_request(
            concept, [dosage(1, "tablet", frequency=1)], status="active", authored_days_ago=90
        )
        for concept in itertools.islice(itertools.cycle(_OTHER_DRUGS), medications)
    ]
    problems = [
        condition(**spec)  # type: ignore[arg-type]
        for spec in itertools.islice(itertools.cycle(_CONDITIONS), conditions)
    ]
    labs = [weight(78, days=12), egfr(84, days=40)]
    for index in range(max(0, observations - 2)):
        code, value, unit = _LABS[index % len(_LABS)]
        labs.append(observation(code, value, unit, days=1 + index % 720))
    return {
        "active": active,
        "medications": [active, *others],
        "conditions": problems,
        "observations": labs,
    }


def _order_sign(record: dict[str, Any]) -> dict[str, Any]:
    draft = med_request(BACLOFEN_10, [dosage(15)], prior="mr-active", rid="mr-draft")
    return hook_request(
        [draft],
        medications=record["medications"],
        conditions=record["conditions"],
        observations=record["observations"],
    )


def scaled(factor: int) -> dict[str, Any]:
    """The typical order-sign with ``factor`` times its records: for the growth measurement."""
    return _order_sign(
        _patient_record(medications=12 * factor, conditions=20 * factor, observations=25 * factor)
    )


def build(name: str) -> dict[str, Any]:
    if name == "typical":
        record = _patient_record(medications=12, conditions=20, observations=25)
    elif name == "heavy":
        record = _patient_record(medications=100, conditions=300, observations=1000)
    elif name == "patient-view":
        record = _patient_record(medications=12, conditions=20, observations=25)
        return hook_request(
            hook="patient-view",
            medications=record["medications"],
            conditions=record["conditions"],
            observations=record["observations"],
        )
    elif name == "no-baclofen":
        record = _patient_record(medications=12, conditions=20, observations=25)
        ibuprofen = med_request(
            drug("ibuprofen 400 MG Oral Tablet", rxnorm="197806"), [dosage(400)]
        )
        return hook_request(
            [ibuprofen],
            medications=record["medications"][1:],
            conditions=record["conditions"],
            observations=record["observations"],
        )
    else:
        raise KeyError(name)
    return _order_sign(record)


def resource_count(request: dict[str, Any]) -> int:
    prefetch = request.get("prefetch") or {}
    count = 0
    for value in prefetch.values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            count += len(value.get("entry") or [])
        elif isinstance(value, dict):
            count += 1
    return count + len(request["context"].get("draftOrders", {}).get("entry", []))
