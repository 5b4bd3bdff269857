"""FHIR R4 resources for suggestions: a changed order, a schedule, a stopped order, a test.

Every resource leaves this module validated by ``fhir.resources`` (R4B models, which share the
R4 structure of these resources). A suggestion the EHR cannot apply is worse than none.

Doses are written one way everywhere: a day of doses becomes one Dosage when the doses are
equal ("10 mg three times daily") and one Dosage per time of day when they are not ("30 mg in
the morning, 20 mg in the afternoon, 20 mg in the evening"), all with the same ``sequence``.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest

from service.clinical.facts import BaclofenOrder
from service.clinical.fhir_json import JSON, as_dict, as_list, without_empty
from service.clinical.knowledge import Knowledge
from service.clinical.schedules import Schedule, doses_text
from service.clinical.wording import is_whole, number

UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type"

# Times of day for the doses of an uneven day: EventTiming codes, and how the text says them.
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


class InvalidSuggestionError(ValueError):
    """A suggestion resource failed FHIR validation: a defect of ours, never sent."""


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without empty values (see ``without_empty``) and without integers JSON
    readers cannot hold (see ``exact_integers``), checked as FHIR R4."""
    resource = exact_integers(without_empty(resource))
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


# The largest integer every JSON reader holds exactly (an IEEE double's 53-bit mantissa).
MAX_JSON_INTEGER = 2**53


def exact_integers(value: Any) -> Any:
    """A copy in which integers beyond ``MAX_JSON_INTEGER`` are floats: client data copied
    into a suggestion (an active order's ``maxDosePerPeriod`` of 2^63, say) must not reach an
    EHR as an integer it would round or refuse."""
    if isinstance(value, dict):
        return {key: exact_integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [exact_integers(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_JSON_INTEGER:
        return float(value)
    return value


def _number(value: float) -> int | float:
    """A JSON number: an int when whole, so the resource reads 30 rather than 30.0; never an
    int beyond ``MAX_JSON_INTEGER``, which EHRs' JSON readers would round or refuse."""
    if is_whole(value) and abs(value) < MAX_JSON_INTEGER:
        return round(value)
    return round(value, 3)


def patient_instruction(knowledge: Knowledge) -> str:
    return " ".join(line.text for line in knowledge.counselling.patient_instruction)


# What a DSTU2 MedicationOrder (the CDS Hooks sandbox's default server) carries over into an R4
# MedicationRequest suggestion: the identity, the medication and the patient; everything else
# of DSTU2 (prescriber, dateWritten, its Dosage shape) either has another name in R4 or is
# rewritten by the suggestion anyway.
_DSTU2_KEPT = ("id", "status", "medicationCodeableConcept", "medicationReference", "note")


def _from_dstu2(order: JSON) -> dict[str, Any]:
    resource: dict[str, Any] = {k: copy.deepcopy(order[k]) for k in _DSTU2_KEPT if k in order}
    if as_dict(order.get("patient")) is not None:
        resource["subject"] = copy.deepcopy(order["patient"])
    if isinstance(order.get("dateWritten"), str):
        resource["authoredOn"] = order["dateWritten"]
    if as_dict(order.get("priorPrescription")) is not None:
        resource["priorPrescription"] = copy.deepcopy(order["priorPrescription"])
    if not isinstance(resource.get("note"), list):
        resource.pop("note", None)
    return resource


def base_request(order: BaclofenOrder, patient_id: str) -> dict[str, Any]:
    """A copy of the order made valid R4: what sloppy clients leave out is filled in, and a
    DSTU2 MedicationOrder is carried over into an R4 MedicationRequest."""
    if order.resource.get("resourceType") == "MedicationOrder":
        resource = _from_dstu2(order.resource)
    else:
        resource = copy.deepcopy(dict(order.resource))
    resource["resourceType"] = "MedicationRequest"
    resource.setdefault("status", "draft")
    if not resource.get("intent"):
        resource["intent"] = "order"  # the CDS Hooks sandbox omits it
    if not as_dict(resource.get("subject")):
        resource["subject"] = {"reference": f"Patient/{patient_id}"}
    if "category" in resource and not isinstance(resource["category"], list):
        resource["category"] = as_list(resource["category"])
    resource.pop("meta", None)
    return resource


def rewritten(order: BaclofenOrder, patient_id: str, written_on: date) -> dict[str, Any]:
    """The order as a suggestion rewrites it: a new prescription, written today (its
    ``authoredOn`` is the date of the last change, from which schedules and titration
    intervals count)."""
    resource = base_request(order, patient_id)
    resource["status"] = "draft"  # a proposal: the prescriber signs it
    resource["authoredOn"] = written_on.isoformat()
    return resource


def first_route(order: BaclofenOrder | None) -> Any:
    if order is None:
        return None
    for item in as_list(order.resource.get("dosageInstruction")):
        entry = as_dict(item)
        if entry is not None and as_dict(entry.get("route")) is not None:
            return entry["route"]
    return None


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


def day_dosages(
    doses: tuple[float, ...],
    unit: str,
    *,
    sequence: int,
    text: str,
    days: int | None = None,
    start: date | None = None,
    route: Any = None,
) -> list[dict[str, Any]]:
    """The Dosage lines of one day of ``doses`` (see the module docstring)."""
    bounds: dict[str, Any] = {}
    if days is not None:
        bounds["boundsDuration"] = {"value": days, "unit": "days", "system": UCUM, "code": "d"}
    if start is not None:
        bounds["boundsPeriod"] = {"start": start.isoformat()}
    lines: list[dict[str, Any]] = []
    if len(set(doses)) == 1:
        repeat = {"frequency": len(doses), "period": 1, "periodUnit": "d", **bounds}
        lines.append(
            {"text": text, "timing": {"repeat": repeat}, "doseAndRate": _ordered(doses[0], unit)}
        )
    else:
        for when, dose in zip(_WHEN[len(doses)], doses, strict=True):
            repeat = {"frequency": 1, "period": 1, "periodUnit": "d", "when": [when], **bounds}
            lines.append(
                {
                    "text": f"{text}: {number(dose)} {unit} {_WHEN_WORDS[when]}",
                    "timing": {"repeat": repeat},
                    "doseAndRate": _ordered(dose, unit),
                }
            )
    for line in lines:
        line["sequence"] = sequence
        if as_dict(route) is not None:
            line["route"] = route
    return lines


def _with_instructions(lines: list[dict[str, Any]], knowledge: Knowledge) -> list[dict[str, Any]]:
    if lines:
        lines[0]["patientInstruction"] = patient_instruction(knowledge)
    return lines


def updated_dose(
    order: BaclofenOrder,
    doses: tuple[float, ...],
    patient_id: str,
    knowledge: Knowledge,
    start: date | None,
    written_on: date,
) -> dict[str, Any]:
    resource = rewritten(order, patient_id, written_on)
    unit = order.dose.kind.unit
    text = doses_text(doses, unit) + (f" from {start.isoformat()}" if start else "")
    resource["dosageInstruction"] = _with_instructions(
        day_dosages(doses, unit, sequence=1, text=text, start=start, route=first_route(order)),
        knowledge,
    )
    return validated(resource)


def switched_product(
    order: BaclofenOrder,
    product_text: str,
    rxnorm: str | None,
    doses: tuple[float, ...],
    concentration: float | None,
    patient_id: str,
    knowledge: Knowledge,
    written_on: date,
) -> dict[str, Any]:
    resource = rewritten(order, patient_id, written_on)
    resource.pop("medicationReference", None)
    concept: dict[str, Any] = {"text": product_text}
    if rxnorm is not None:
        concept["coding"] = [{"system": RXNORM, "code": rxnorm, "display": product_text}]
    resource["medicationCodeableConcept"] = concept
    text = doses_text(doses, "mg")
    if concentration:
        text += (
            " (" + " + ".join(f"{number(d / concentration)} mL" for d in dict.fromkeys(doses)) + ")"
        )
    resource["dosageInstruction"] = _with_instructions(
        day_dosages(doses, "mg", sequence=1, text=text, route=first_route(order)), knowledge
    )
    return validated(resource)


def scheduled(
    order: BaclofenOrder,
    schedule: Schedule,
    prior: BaclofenOrder | None,
    patient_id: str,
    knowledge: Knowledge,
    written_on: date,
) -> dict[str, Any]:
    """The draft rewritten as the schedule: one MedicationRequest, one Dosage per step."""
    resource = rewritten(order, patient_id, written_on)
    if schedule.substituted:
        resource.pop("medicationReference", None)
        product = schedule.product
        concept: dict[str, Any] = {"text": product.label}
        if product.rxnorm:
            concept["coding"] = [
                {"system": RXNORM, "code": product.rxnorm, "display": product.label}
            ]
        resource["medicationCodeableConcept"] = concept
    if prior is not None and prior.reference is not None and prior.reference != order.reference:
        resource["priorPrescription"] = {"reference": prior.reference}
    # A stop order may carry no dosage, hence no route: the active order still has one.
    route = first_route(order) or first_route(prior)
    lines: list[dict[str, Any]] = []
    for sequence, step in enumerate(schedule.steps, start=1):
        text = f"Step {sequence}: {step.text(schedule.unit)}"
        lines += day_dosages(
            step.doses, schedule.unit, sequence=sequence, text=text, days=step.days, route=route
        )
    resource["dosageInstruction"] = _with_instructions(lines, knowledge)
    resource["note"] = [
        {
            "text": knowledge.words(
                "schedule_note", kind=schedule.kind.value.capitalize(), version=knowledge.version
            )
        }
    ]
    return validated(resource)


def replacing(order: BaclofenOrder, older: BaclofenOrder, patient_id: str) -> dict[str, Any]:
    """The draft as ordered, naming the order it replaces as its priorPrescription."""
    resource = base_request(order, patient_id)
    if older.reference is not None:
        resource["priorPrescription"] = {"reference": older.reference}
    return validated(resource)


def stopped(order: BaclofenOrder, patient_id: str) -> dict[str, Any]:
    """The order, stopped: an update, which must name the order by its id."""
    resource = base_request(order, patient_id)
    if "id" not in resource:
        raise InvalidSuggestionError("an order without an id cannot be updated")
    resource["status"] = "stopped"
    return validated(resource)


def service_request(
    code: str, display: str, patient_id: str, knowledge: Knowledge
) -> dict[str, Any]:
    return validated(
        {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "order",
            "code": {
                "coding": [
                    {
                        "system": knowledge.observations.loinc_system,
                        "code": code,
                        "display": display,
                    }
                ],
                "text": display,
            },
            "subject": {"reference": f"Patient/{patient_id}"},
            "reasonCode": [{"text": knowledge.words("monitoring_reason")}],
        }
    )
