"""Prefetch resolution, key by key (CDS Hooks 2.0.1 §Prefetch Template).

For each key the service advertises:

* present with a FHIR resource: use it;
* present and ``null``: the client looked and there is no data; do not fetch;
* present with an ``OperationOutcome``: the client failed to get it; treat as absent;
* absent: the client did not try; fetch it from ``fhirServer`` when a fetcher is available.

What can be got from neither is reported as unavailable, with the reason, so the caller can
decide between a 412 and a "data missing" card. The decision is not made here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cds_hooks.prefetch import UnresolvableTokenError, render_template


class FetchError(Exception):
    """A prefetch query could not be answered; ``reason`` is short and safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Fetcher(Protocol):
    async def fetch(self, key: str, query: str) -> Any:
        """The FHIR JSON answering ``query`` (relative to the FHIR base), or FetchError."""
        ...


@dataclass
class PrefetchOutcome:
    values: dict[str, Any] = field(default_factory=dict)  # key -> JSON, or None (no data)
    unavailable: dict[str, str] = field(default_factory=dict)  # key -> reason
    fetched: list[str] = field(default_factory=list)  # keys that were fetched


def is_operation_outcome(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("resourceType") == "OperationOutcome"


async def resolve_prefetch(
    templates: Mapping[str, str],
    provided: Mapping[str, Any] | None,
    context: Mapping[str, Any],
    fetcher: Fetcher | None,
    *,
    no_fetcher_reason: str = "not sent in prefetch, and no FHIR server to fetch it from",
) -> PrefetchOutcome:
    outcome = PrefetchOutcome()
    provided = provided or {}
    to_fetch: dict[str, str] = {}
    for key, template in templates.items():
        if key in provided and not is_operation_outcome(provided[key]):
            outcome.values[key] = provided[key]
            continue
        if fetcher is None:
            outcome.unavailable[key] = no_fetcher_reason
            continue
        try:
            to_fetch[key] = render_template(template, context)
        except UnresolvableTokenError as error:
            outcome.unavailable[key] = str(error)

    async def one(key: str, query: str) -> None:
        assert fetcher is not None
        try:
            outcome.values[key] = await fetcher.fetch(key, query)
            outcome.fetched.append(key)
        except FetchError as error:
            outcome.unavailable[key] = error.reason

    if to_fetch:
        await asyncio.gather(*(one(key, query) for key, query in to_fetch.items()))
    return outcome
