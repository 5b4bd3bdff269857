"""Reading the service's suggestions back, independently of the service's own dose parser.

A suggested MedicationRequest holds one Dosage per step (or per time of day of an uneven
step), grouped by ``sequence``; each line gives ``doseQuantity`` times ``frequency`` a day.
The property tests check the promises of the catalogue on these numbers.
"""

from __future__ import annotations

import copy
from typing import Any


def step_lines(resource: dict[str, Any]) -> list[tuple[float, int | None]]:
    """(daily dose, days) per step, in order; days None for an open-ended step."""
    steps: dict[int, list[dict[str, Any]]] = {}
    for line in resource.get("dosageInstruction", []):
        steps.setdefault(int(line.get("sequence", 1)), []).append(line)
    result = []
    for sequence in sorted(steps):
        lines = steps[sequence]
        daily = 0.0
        days: int | None = None
        for line in lines:
            repeat = line["timing"]["repeat"]
            dose = line["doseAndRate"][0]["doseQuantity"]["value"]
            assert repeat.get("period", 1) == 1 and repeat.get("periodUnit", "d") == "d"
            daily += dose * repeat["frequency"]
            bounds = repeat.get("boundsDuration")
            if bounds is not None:
                days = int(bounds["value"])
        result.append((round(daily, 6), days))
    return result


def steps_of(resource: dict[str, Any]) -> list[float]:
    return [daily for daily, _ in step_lines(resource)]


def first_step_daily(resource: dict[str, Any]) -> float:
    return steps_of(resource)[0]


# Rules a suggestion must never cause, and cards a change of dose cannot take away (they rest
# on the patient, or on orders the suggestion does not touch).
SELF_INFLICTED = frozenset(
    {
        "start-dose-high",
        "titration-too-fast",
        "abrupt-discontinuation",
        "intrathecal-discontinuation",
        "dose-above-max",
        "dose-unverifiable",
        "dose-unit-suspect",
    }
)
STAY_AFTER_A_CHANGE = frozenset(
    {
        "renal-impairment",
        "renal-contraindication",
        "pediatric-caution",
        "excipient-lactose",
        "contraindication-pregnancy",
        "duplicate-therapy",
        "elderly",
        "titration-plan",
    }
)


def apply_suggestion(request: dict[str, Any], suggestion: Any) -> dict[str, Any] | None:
    """The request as the EHR would send it next, with the suggestion applied."""
    request = copy.deepcopy(request)
    entries = request["context"].get("draftOrders", {}).get("entry", [])
    medications = request["prefetch"].get("medications") or {}
    actives = medications.get("entry", [])
    created_resources: list[dict[str, Any]] = []
    for action in suggestion.actions:
        resource = action.resource
        if action.type.value == "delete":
            target = str(action.resourceId).split("/")[-1]
            entries[:] = [e for e in entries if e["resource"].get("id") != target]
            continue
        if resource is None or resource.get("resourceType") != "MedicationRequest":
            return None
        if request["hook"] == "patient-view":
            # The chart's order rewritten and signed: the record now holds the new version.
            signed = {**resource, "status": "active"}
            for entry in actives:
                if entry["resource"].get("id") == resource.get("id"):
                    entry["resource"] = signed
            continue
        # In an ordering session a stop of an active order is one more pending order.
        for entry in entries:
            if entry["resource"].get("id") == resource.get("id"):
                entry["resource"] = resource
                break
        else:
            entries.append({"resource": resource})
            created_resources.append(resource)
    if request["hook"] == "order-select":
        ids = {f"MedicationRequest/{e['resource'].get('id')}" for e in entries}
        selected = [ref for ref in request["context"]["selections"] if ref in ids]
        created = [f"MedicationRequest/{r.get('id')}" for r in created_resources]
        request["context"]["selections"] = selected + [c for c in created if c not in selected]
    return request
