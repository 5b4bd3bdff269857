"""``context.draftOrders``: tolerate what real clients send, refuse what is not FHIR.

The CDS Hooks sandbox sends R4 MedicationRequests without ``intent``, Bundles without
``type`` and ``category`` as an object (cds-hooks/sandbox#109, #143); those are repaired.
Anything else that fails FHIR R4 validation is a 400 naming the element.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from cds_hooks.errors import CdsHooksError, Issue, bad_request
from service.pipeline.draft_schema import clearly_valid

# DSTU2 resources some clients still send in R4 hooks; read leniently, not validated as R4.
_TOLERATED_LEGACY = {"MedicationOrder"}


def _path(base: str, location: tuple[Any, ...]) -> str:
    text = base
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _repaired(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource, or a repaired shallow copy (the caller's JSON is never modified)."""
    if resource.get("resourceType") != "MedicationRequest":
        return resource
    missing_intent = not resource.get("intent")
    category_object = isinstance(resource.get("category"), dict)
    if not (missing_intent or category_object):
        return resource
    repaired = dict(resource)
    if missing_intent:
        repaired["intent"] = "order"
    if category_object:
        repaired["category"] = [resource["category"]]
    return repaired


def normalise_draft_orders(value: Any, field: str = "context.draftOrders") -> dict[str, Any]:
    """A repaired copy of the draft orders Bundle; 400 when it is not valid FHIR R4."""
    if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
        raise bad_request(f"{field} must be a FHIR Bundle", field)
    bundle = dict(value)  # shallow: only what is repaired is copied
    if not bundle.get("type"):
        bundle["type"] = "collection"
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise bad_request(f"{field}.entry must be a list", f"{field}.entry")
    entries = bundle["entry"] = [dict(e) if isinstance(e, dict) else e for e in entries]
    issues: list[Issue] = []
    for index, entry in enumerate(entries):
        where = f"{field}.entry[{index}].resource"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            issues.append(Issue(f"{where} is required", code="required", expression=(where,)))
            continue
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str) or not resource_type:
            issues.append(
                Issue(f"{where}.resourceType is required", "required", expression=(where,))
            )
            continue
        resource = entry["resource"] = _repaired(resource)
        try:
            if resource_type in _TOLERATED_LEGACY or clearly_valid(resource):
                continue
        except RecursionError:
            issues.append(_too_deep(where))
            continue
        try:
            model = get_fhir_model_class(resource_type)
        except (KeyError, ValueError, AttributeError, ImportError):
            issues.append(
                Issue(
                    f"{where}: unknown FHIR resource type",
                    expression=(f"{where}.resourceType",),
                )
            )
            continue
        try:
            model.model_validate(resource)
        except ValidationError as error:
            for detail in error.errors()[:5]:
                location = _path(where, tuple(detail.get("loc", ())))
                message = str(detail.get("msg", "invalid")).removeprefix("Value error, ")
                issues.append(Issue(f"{location}: {message}", expression=(location,)))
        except (ValueError, TypeError):
            # The library's message may quote the value; the place is what the caller needs.
            issues.append(Issue(f"{where}: not a valid FHIR R4 resource", expression=(where,)))
        except RecursionError:
            issues.append(_too_deep(where))
    if issues:
        raise CdsHooksError(400, issues[:20])
    return bundle


def _too_deep(where: str) -> Issue:
    # No MedicationRequest nests this deep; walking it would exhaust the interpreter's stack.
    return Issue(f"{where}: nested too deeply to be a FHIR R4 resource", expression=(where,))


def references_in(bundle: dict[str, Any]) -> set[str]:
    found = set()
    for entry in bundle.get("entry", []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and isinstance(resource.get("id"), str):
            found.add(f"{resource.get('resourceType')}/{resource['id']}")
    return found
