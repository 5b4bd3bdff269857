"""Fetching FHIR data for a hook call: the interface a FHIR client implements, and the checks
every answer must pass whichever client fetched it.

A fetcher answers relative queries (rendered prefetch templates) and absolute URLs its server
gave (next pages). It fails with ``FetchError(reason, detail)``: the reason is what the caller
is told (``NOT_PROVIDED`` for every failure of a server's connection or answer), the detail
what happened ("timed out after 3 s", "FHIR server answered 401"), for the log. Neither ever
carries a token, a URL or patient data.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote

# What a caller is told when a fetch or its answer fails, whatever happened: answers that
# told a refused connection from a timeout, or an HTML page from another patient's Bundle,
# would make the service a probe of whatever its fetches can reach.
NOT_PROVIDED = "the FHIR server did not provide it"
# The prefetch key a fetch is made for, while resolution fetches it (each key in a task of its
# own), so that a fetcher's logs can name it: "FHIR fetch failed" for "observations".
PREFETCH_KEY: ContextVar[str | None] = ContextVar("cds_hooks_prefetch_key", default=None)


class FetchError(Exception):
    """A FHIR query could not be answered: ``reason`` is what the caller and the clinician are
    told, ``detail`` what happened (for the service's log; never a URL, token or patient data).
    """

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or reason


class Fetcher(Protocol):
    async def fetch(self, url: str) -> dict[str, Any]:
        """The JSON object at ``url``, or ``FetchError``.

        ``url`` is a query relative to the FHIR base or an absolute URL the server gave. The
        fetcher alone decides whether it may contact it.
        """
        ...


class RefusingFetcher:
    """A fetcher that may contact nothing: every query fails with the same reason.

    For a hook call whose ``fhirServer`` must not be contacted (not allowed for the caller):
    the keys still sent in prefetch are used, and every other one reports why it is missing.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def fetch(self, url: str) -> dict[str, Any]:
        raise FetchError(self.reason)


@dataclass(frozen=True)
class Expected:
    """What the answer to a query must be."""

    resource_type: str
    resource_id: str | None = None  # a read: the id asked for
    patient_id: str | None = None  # a search by patient: whose data every entry must be


SEARCH_BUNDLE = Expected("Bundle")


def expected_answer(query: str) -> Expected:
    """What a relative query answers with.

    ``Type/id`` is a read; anything else (``Type?...``, ``Type``, compartment searches) answers
    with a Bundle, whose entries must belong to the patient a ``patient=`` or ``subject=``
    parameter names.
    """
    path, question, query_string = query.partition("?")
    parts = path.strip("/").split("/")
    if not question and len(parts) == 2 and all(parts):
        return Expected(parts[0], resource_id=unquote(parts[1]))
    params = parse_qs(query_string)
    for name in ("patient", "subject"):
        values = params.get(name, [])
        if len(values) == 1 and "," not in values[0]:
            return Expected("Bundle", patient_id=values[0].removeprefix("Patient/"))
    return SEARCH_BUNDLE


def check_answer(answer: Mapping[str, Any], expected: Expected) -> None:
    """Raise ``FetchError`` unless ``answer`` is what the query asked for.

    Advice computed on another patient's record, or on a list that is not one, is worse than
    no advice: such an answer counts as no answer.
    """
    found = answer.get("resourceType")
    if found != expected.resource_type:
        raise _unusable(
            f"the FHIR server answered with {_a(found)} instead of {_a(expected.resource_type)}"
        )
    if expected.resource_id is not None and answer.get("id") != expected.resource_id:
        raise _unusable(f"the FHIR server answered with another {found} than the one asked for")
    if found != "Bundle":
        return
    entries = answer.get("entry", [])
    if not isinstance(entries, list):
        raise _unusable("the FHIR server answered with a malformed Bundle")
    if expected.patient_id is not None and any(
        _of_another_patient(entry, expected.patient_id) for entry in entries
    ):
        raise _unusable("the FHIR server answered with another patient's data")


def _unusable(detail: str) -> FetchError:
    return FetchError(NOT_PROVIDED, detail)


def _of_another_patient(entry: Any, patient_id: str) -> bool:
    """Whether an entry's resource names a patient other than ``patient_id``.

    Entries without a subject (included Medications, OperationOutcomes) name no one.
    """
    resource = entry.get("resource") if isinstance(entry, Mapping) else None
    if not isinstance(resource, Mapping):
        return False
    for field in ("subject", "patient"):
        reference = resource.get(field)
        text = reference.get("reference") if isinstance(reference, Mapping) else None
        if isinstance(text, str):
            # Relative ("Patient/p1") or absolute (".../fhir/Patient/p1") references.
            return text != f"Patient/{patient_id}" and not text.endswith(f"/Patient/{patient_id}")
    return False


def _a(resource_type: Any) -> str:
    if not isinstance(resource_type, str) or not resource_type:
        return "something that is not a FHIR resource"
    shown = resource_type[:64]  # the server's text, into a log line: bounded
    return ("an " if shown[0] in "AEIOU" else "a ") + shown
