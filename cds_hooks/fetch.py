"""Fetching FHIR data for a hook call: the interface a FHIR client implements, and the checks
every answer must pass whichever client fetched it.

A fetcher answers relative queries (rendered prefetch templates) and absolute URLs its server
gave (next pages). It fails with ``FetchError(reason)``, where the reason is short and safe to
show a clinician: "timed out after 3 s", "FHIR server answered 401". It never carries a token,
a URL or patient data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import unquote


class FetchError(Exception):
    """A FHIR query could not be answered; ``reason`` says why, for a clinician."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def expected_answer(query: str) -> tuple[str, str | None]:
    """The resource type a relative query answers with, and the id a read asks for.

    ``Type/id`` is a read; anything else (``Type?...``, ``Type``, compartment searches) answers
    with a Bundle.
    """
    path, _, _ = query.partition("?")
    parts = path.strip("/").split("/")
    if "?" not in query and len(parts) == 2 and all(parts):
        return parts[0], unquote(parts[1])
    return "Bundle", None


def check_answer(
    answer: Mapping[str, Any], resource_type: str, resource_id: str | None = None
) -> None:
    """Raise ``FetchError`` unless ``answer`` is the resource the query asked for.

    Advice computed on another patient's record, or on a list that is not one, is worse than
    no advice: such an answer counts as no answer.
    """
    found = answer.get("resourceType")
    if found != resource_type:
        raise FetchError(
            f"the FHIR server answered with {_a(found)} instead of {_a(resource_type)}"
        )
    if resource_id is not None and answer.get("id") != resource_id:
        raise FetchError(
            f"the FHIR server answered with another {resource_type} than the one asked for"
        )
    if resource_type == "Bundle" and not isinstance(answer.get("entry", []), list):
        raise FetchError("the FHIR server answered with a malformed Bundle")


def _a(resource_type: Any) -> str:
    if not isinstance(resource_type, str) or not resource_type:
        return "something that is not a FHIR resource"
    return ("an " if resource_type[0] in "AEIOU" else "a ") + resource_type
