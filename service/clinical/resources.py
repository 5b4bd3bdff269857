"""FHIR R4 resources for suggestions: a changed order, a stopped order, a test to order.

Every resource leaves this module validated by ``fhir.resources`` (R4B models, which share the
R4 structure of these resources). A suggestion the EHR cannot apply is worse than none.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest

from service.clinical.facts import BaclofenOrder
from service.clinical.fhir_json import JSON, as_dict, as_list
from service.clinical.knowledge import Knowledge
from service.clinical.schedules import Schedule
from service.clinical.wording import frequency_text, is_whole

UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type"

# Known products a suggestion may switch to, with their RxNorm code where one exists.
SWITCH_CODES = {"baclofen 1 MG/ML Oral Solution": "250976"}


class InvalidSuggestionError(ValueError):
    """A suggestion resource failed FHIR validation: a defect of ours, never sent."""


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    model: Any = {"MedicationRequest": MedicationRequest, "ServiceRequest": ServiceRequest}.get(
        str(resource.get("resourceType"))
    )
    if model is None:
        raise InvalidSuggestionError(f"no validator for {resource.get('resourceType')}")
    try:
        model.model_validate(resource)
    except Exception as error:  # fhir.resources raises pydantic and value errors alike
        raise InvalidSuggestionError(str(error)) from None
    return resource


def _number(value: float) -> int | float:
    """A JSON number: an int when whole, so the resource reads 30 rather than 30.0."""
    return round(value) if is_whole(value) else round(value, 3)


def timing_repeat(per_day: float) -> dict[str, Any]:
    if is_whole(per_day) and per_day >= 1:
        return {"frequency": round(per_day), "period": 1, "periodUnit": "d"}
    return {"frequency": 1, "period": _number(24 / per_day), "periodUnit": "h"}


def patient_instruction(knowledge: Knowledge) -> str:
    return " ".join(line.text for line in knowledge.counselling.patient_instruction)


def base_request(order: BaclofenOrder, patient_id: str) -> dict[str, Any]:
    """A copy of the order made valid R4: what sloppy clients leave out is filled in."""
    resource: dict[str, Any] = copy.deepcopy(dict(order.resource))
    resource["resourceType"] = "MedicationRequest"
    resource.setdefault("status", "draft")
    if not resource.get("intent"):
        resource["intent"] = "order"  # the CDS Hooks sandbox omits it (sandbox PR #143)
    if not as_dict(resource.get("subject")):
        resource["subject"] = {"reference": f"Patient/{patient_id}"}
    if "category" in resource and not isinstance(resource["category"], list):
        resource["category"] = as_list(resource["category"])
    resource.pop("meta", None)
    return resource


def dosage(
    per_dose: float,
    per_day: float,
    unit: str,
    knowledge: Knowledge,
    route: Any = None,
    start: date | None = None,
    text_suffix: str = "",
) -> dict[str, Any]:
    ucum = "ug" if unit == "mcg" else unit
    repeat = timing_repeat(per_day)
    if start is not None:
        repeat["boundsPeriod"] = {"start": start.isoformat()}
    entry: dict[str, Any] = {
        "sequence": 1,
        "text": f"{_number(per_dose)} {unit} {frequency_text(per_day)}{text_suffix}"
        + (f" from {start.isoformat()}" if start else ""),
        "patientInstruction": patient_instruction(knowledge),
        "timing": {"repeat": repeat},
        "doseAndRate": [
            {
                "type": {
                    "coding": [{"system": DOSE_RATE_TYPE, "code": "ordered", "display": "Ordered"}]
                },
                "doseQuantity": {
                    "value": _number(per_dose),
                    "unit": unit,
                    "system": UCUM,
                    "code": ucum,
                },
            }
        ],
    }
    if as_dict(route) is not None:
        entry["route"] = route
    return entry


def first_route(order: BaclofenOrder) -> Any:
    for item in as_list(order.resource.get("dosageInstruction")):
        entry = as_dict(item)
        if entry is not None and as_dict(entry.get("route")) is not None:
            return entry["route"]
    return None


def updated_dose(
    order: BaclofenOrder,
    per_dose: float,
    per_day: float,
    patient_id: str,
    knowledge: Knowledge,
    start: date | None = None,
) -> dict[str, Any]:
    resource = base_request(order, patient_id)
    resource["dosageInstruction"] = [
        dosage(per_dose, per_day, order.dose.kind.unit, knowledge, first_route(order), start)
    ]
    return validated(resource)


def switched_product(
    order: BaclofenOrder,
    product_text: str,
    per_dose: float,
    per_day: float,
    concentration: float | None,
    patient_id: str,
    knowledge: Knowledge,
) -> dict[str, Any]:
    resource = base_request(order, patient_id)
    resource.pop("medicationReference", None)
    concept: dict[str, Any] = {"text": product_text}
    code = SWITCH_CODES.get(product_text)
    if code is not None:
        concept["coding"] = [{"system": RXNORM, "code": code, "display": product_text}]
    resource["medicationCodeableConcept"] = concept
    suffix = f" ({_number(per_dose / concentration)} mL)" if concentration else ""
    resource["dosageInstruction"] = [
        dosage(per_dose, per_day, "mg", knowledge, first_route(order), text_suffix=suffix)
    ]
    return validated(resource)


def stopped(order: BaclofenOrder, patient_id: str) -> dict[str, Any]:
    resource = base_request(order, patient_id)
    resource["status"] = "stopped"
    return validated(resource)


def service_request(code: str, display: str, patient_id: str, loinc: str) -> dict[str, Any]:
    return validated(
        {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "order",
            "code": {
                "coding": [{"system": loinc, "code": code, "display": display}],
                "text": display,
            },
            "subject": {"reference": f"Patient/{patient_id}"},
            "reasonCode": [{"text": "Monitoring of baclofen therapy"}],
        }
    )


def reference_id(resource: JSON) -> str | None:
    resource_id = resource.get("id")
    return f"{resource.get('resourceType')}/{resource_id}" if isinstance(resource_id, str) else None


# Times of day for the doses of an uneven day ("10 mg, 10 mg, 5 mg"): EventTiming codes.
_WHEN = {
    1: ["MORN"],
    2: ["MORN", "EVE"],
    3: ["MORN", "AFT", "EVE"],
    4: ["MORN", "AFT", "EVE", "NIGHT"],
}
_WHEN_WORDS = {
    "MORN": "in the morning",
    "AFT": "in the afternoon",
    "EVE": "in the evening",
    "NIGHT": "at night",
}


def _bounds(days: int | None) -> dict[str, Any]:
    if days is None:
        return {}
    return {"boundsDuration": {"value": days, "unit": "days", "system": UCUM, "code": "d"}}


def _ordered(value: float, unit: str) -> list[dict[str, Any]]:
    code = "ug" if unit == "mcg" else unit
    return [
        {
            "type": {
                "coding": [{"system": DOSE_RATE_TYPE, "code": "ordered", "display": "Ordered"}]
            },
            "doseQuantity": {"value": _number(value), "unit": unit, "system": UCUM, "code": code},
        }
    ]


def schedule_dosages(schedule: Schedule, route: Any, knowledge: Knowledge) -> list[dict[str, Any]]:
    """One Dosage per step (sequence 1..n); an uneven day is one Dosage per time of day."""
    lines: list[dict[str, Any]] = []
    for sequence, step in enumerate(schedule.steps, start=1):
        step_text = f"Step {sequence}: {step.text(schedule.unit)}"
        entries: list[dict[str, Any]] = []
        if step.even:
            repeat: dict[str, Any] = {"frequency": step.per_day, "period": 1, "periodUnit": "d"}
            repeat.update(_bounds(step.days))
            entries.append(
                {
                    "text": step_text,
                    "timing": {"repeat": repeat},
                    "doseAndRate": _ordered(step.doses[0], schedule.unit),
                }
            )
        else:
            for when, dose in zip(_WHEN[step.per_day], step.doses, strict=True):
                repeat = {"frequency": 1, "period": 1, "periodUnit": "d", "when": [when]}
                repeat.update(_bounds(step.days))
                entries.append(
                    {
                        "text": f"{step_text}: {_number(dose)} {schedule.unit} {_WHEN_WORDS[when]}",
                        "timing": {"repeat": repeat},
                        "doseAndRate": _ordered(dose, schedule.unit),
                    }
                )
        for entry in entries:
            entry["sequence"] = sequence
            if as_dict(route) is not None:
                entry["route"] = route
            if not lines:
                entry["patientInstruction"] = patient_instruction(knowledge)
            lines.append(entry)
    return lines


def scheduled(
    order: BaclofenOrder,
    schedule: Schedule,
    prior: BaclofenOrder | None,
    patient_id: str,
    knowledge: Knowledge,
) -> dict[str, Any]:
    """The draft rewritten as the schedule: one MedicationRequest, one Dosage per step."""
    resource = base_request(order, patient_id)
    resource["status"] = "draft"
    if schedule.substituted:
        resource.pop("medicationReference", None)
        product = schedule.product
        concept: dict[str, Any] = {"text": product.label}
        if product.rxnorm:
            concept["coding"] = [
                {"system": RXNORM, "code": product.rxnorm, "display": product.label}
            ]
        resource["medicationCodeableConcept"] = concept
    if prior is not None and prior.reference is not None:
        resource["priorPrescription"] = {"reference": prior.reference}
    # A stop order may carry no dosage, hence no route: the active order still has one.
    route = first_route(order) or (first_route(prior) if prior is not None else None)
    resource["dosageInstruction"] = schedule_dosages(schedule, route, knowledge)
    resource["note"] = [
        {
            "text": f"{schedule.kind.value.capitalize()} schedule generated by baclofen-cds "
            f"(knowledge {knowledge.version})."
        }
    ]
    return validated(resource)
