"""Is an answer of the service conformant? CDS Hooks 2.0.1 rules, OperationOutcome, FHIR R4.

Three layers, each catching what the one before cannot:

1. the JSON Schemas of ``cds_hooks/schemas`` (required fields, types, enumerations, summary
   length, selectionBehavior with suggestions, override reasons with display, link and action
   rules, at most one recommended suggestion with at-most-one);
2. rules across the document: no ``null`` and no empty value anywhere (§Use of JSON; ``cards``
   may be empty), no integer beyond 2^53 (JSON readers hold no more exactly; some refuse it),
   card uuids unique in a response and suggestion uuids unique in a card (feedback names them);
3. every FHIR resource in an action, and every OperationOutcome, validated as FHIR R4 with
   fhir.resources.

Each function returns the list of problems (empty when conformant), so a test can show exactly
what is wrong; ``require`` turns problems into a failure.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from cds_hooks import schemas


class ConformanceError(AssertionError):
    """An answer that breaks the CDS Hooks or FHIR rules: a defect of the service."""


@functools.cache
def validator(name: str) -> Draft202012Validator:
    schema = schemas.load(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_problems(name: str, document: Any) -> list[str]:
    return [
        f"{error.json_path}: {error.message}"
        for error in sorted(validator(name).iter_errors(document), key=lambda e: e.json_path)
    ]


def empty_values(value: Any, path: str = "$") -> Iterator[str]:
    """Where a value is null, an empty string, an empty list or an empty object."""
    if value is None or value in ("", [], {}):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from empty_values(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from empty_values(item, f"{path}[{index}]")


MAX_EXACT_INTEGER = 2**53


def huge_integers(value: Any, path: str = "$") -> Iterator[str]:
    """Where an integer lies beyond what a JSON reader's double holds exactly."""
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_EXACT_INTEGER:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from huge_integers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from huge_integers(item, f"{path}[{index}]")


def fhir_problems(resource: Any, path: str) -> list[str]:
    """Why ``resource`` is not a valid FHIR R4 resource (fhir.resources' R4B models)."""
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return [f"{path}: not a FHIR resource"]
    try:
        model = get_fhir_model_class(resource["resourceType"])
    except (KeyError, ValueError, AttributeError, ImportError):
        return [f"{path}: unknown FHIR resource type {resource['resourceType']!r}"]
    try:
        model.model_validate(resource)
    except (ValidationError, ValueError, TypeError) as error:
        return [f"{path}: invalid {resource['resourceType']}: {str(error)[:500]}"]
    return []


def _actions(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for c, card in enumerate(body.get("cards") or []):
        for s, suggestion in enumerate(card.get("suggestions") or []):
            for a, action in enumerate(suggestion.get("actions") or []):
                yield f"$.cards[{c}].suggestions[{s}].actions[{a}]", action
    for a, action in enumerate(body.get("systemActions") or []):
        yield f"$.systemActions[{a}]", action


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _duplicates(values: list[str]) -> set[str]:
    return {value for value in values if values.count(value) > 1}


def response_problems(body: Any) -> list[str]:
    """A 200 answer to a hook call."""
    problems = schema_problems(schemas.RESPONSE, body)
    if not isinstance(body, dict):
        return problems
    problems += [f"{path}: null or empty" for path in empty_values(body) if path != "$.cards"]
    problems += [f"{path}: an integer beyond 2^53" for path in huge_integers(body)]
    cards = _list(body.get("cards"))
    card_uuids = [card["uuid"] for card in cards if isinstance(card, dict) and "uuid" in card]
    problems += [f"card uuid {uuid} is used twice" for uuid in _duplicates(card_uuids)]
    for index, card in enumerate(cards):
        suggestions = _list(card.get("suggestions")) if isinstance(card, dict) else []
        uuids = [s["uuid"] for s in suggestions if isinstance(s, dict) and "uuid" in s]
        problems += [
            f"$.cards[{index}]: suggestion uuid {uuid} is used twice" for uuid in _duplicates(uuids)
        ]
    for path, action in _actions(body):
        if isinstance(action, dict) and "resource" in action:
            problems += fhir_problems(action["resource"], f"{path}.resource")
    return problems


def discovery_problems(body: Any) -> list[str]:
    problems = schema_problems(schemas.DISCOVERY, body)
    if isinstance(body, dict):
        problems += [
            f"{path}: null or empty" for path in empty_values(body) if path != "$.services"
        ]
        services = _list(body.get("services"))
        keys = [f"{s.get('hook')} {s.get('id')}" for s in services if isinstance(s, dict)]
        problems += [f"service {key} is listed twice" for key in _duplicates(keys)]
    return problems


def feedback_receipt_problems(body: Any) -> list[str]:
    return schema_problems(schemas.FEEDBACK_RECEIPT, body)


def error_problems(body: Any) -> list[str]:
    """Any answer other than 2xx: a FHIR OperationOutcome that says what went wrong."""
    problems = schema_problems(schemas.OPERATION_OUTCOME, body)
    if not problems:
        problems += [f"{path}: null or empty" for path in empty_values(body)]
        problems += fhir_problems(body, "$")
    return problems


def require(problems: list[str], what: str) -> None:
    if problems:
        raise ConformanceError(f"{what} is not conformant:\n  " + "\n  ".join(problems[:20]))
