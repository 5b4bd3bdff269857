"""Prefetch resolution, key by key (CDS Hooks 2.0.1 §Prefetch Template).

For each key the service advertises:

* present with a FHIR resource: use it (a paged searchset is completed from its next links);
* present and ``null``: the client looked and there is no data; do not fetch;
* present with an ``OperationOutcome``: the client failed to get it; treat as absent;
* absent: the client did not try; fetch it from ``fhirServer`` when a fetcher is available.

Only the missing keys are fetched, all at once. What can be got from neither source, or only in
part, is reported as unavailable with the reason, so the caller can decide between a 412 and a
"data missing" card. The decision is not made here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cds_hooks.fetch import (
    PREFETCH_KEY,
    SEARCH_BUNDLE,
    Expected,
    Fetcher,
    FetchError,
    RefusingFetcher,
    check_answer,
    expected_answer,
)
from cds_hooks.paging import next_link, read_all_pages
from cds_hooks.prefetch import UnresolvableTokenError, render_template

__all__ = [
    "DEFAULT_MAX_PAGES",
    "FetchError",
    "Fetcher",
    "PrefetchOutcome",
    "RefusingFetcher",
    "is_operation_outcome",
    "resolve_prefetch",
]

DEFAULT_MAX_PAGES = 10
NO_FETCHER_REASON = "not sent in prefetch, and no FHIR server to fetch it from"


@dataclass
class PrefetchOutcome:
    values: dict[str, Any] = field(default_factory=dict)  # key -> JSON, or None (no data)
    unavailable: dict[str, str] = field(default_factory=dict)  # key -> reason
    fetched: list[str] = field(default_factory=list)  # keys read (in part) from the server
    # key -> what happened, where a fetch failed (FetchError.detail): for the log only.
    details: dict[str, str] = field(default_factory=dict)


@dataclass
class _Key:
    value: Any = None
    has_value: bool = False
    reason: str | None = None
    fetched: bool = False
    detail: str | None = None


def is_operation_outcome(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("resourceType") == "OperationOutcome"


async def resolve_prefetch(
    templates: Mapping[str, str],
    provided: Mapping[str, Any] | None,
    context: Mapping[str, Any],
    fetcher: Fetcher | None,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    no_fetcher_reason: str = NO_FETCHER_REASON,
) -> PrefetchOutcome:
    provided = provided or {}

    async def one(key: str, template: str) -> _Key:
        PREFETCH_KEY.set(key)  # this key's task only: gather runs each in a task of its own
        query: str | None = None
        unresolvable = ""
        try:
            query = render_template(template, context)
        except UnresolvableTokenError as error:
            unresolvable = str(error)
        expected = expected_answer(query) if query is not None else SEARCH_BUNDLE
        if key in provided and not is_operation_outcome(provided[key]):
            return await _complete(provided[key], fetcher, expected, max_pages)
        if fetcher is None:
            return _Key(reason=no_fetcher_reason)
        if query is None:
            return _Key(reason=unresolvable)
        try:
            answer = await fetcher.fetch(query)
            check_answer(answer, expected)
        except FetchError as error:
            return _Key(reason=error.reason, detail=error.detail)
        result = await _complete(answer, fetcher, expected, max_pages)
        result.fetched = True
        return result

    keys = list(templates)
    results = await asyncio.gather(*(one(key, templates[key]) for key in keys))
    outcome = PrefetchOutcome()
    for key, result in zip(keys, results, strict=True):
        if result.has_value:
            outcome.values[key] = result.value
        if result.reason is not None:
            outcome.unavailable[key] = result.reason
        if result.fetched:
            outcome.fetched.append(key)
        if result.detail is not None:
            outcome.details[key] = result.detail
    return outcome


async def _complete(
    value: Any,
    fetcher: Fetcher | None,
    expected: Expected,
    max_pages: int,
) -> _Key:
    """The value with every page of a paged searchset read, and why it is partial, if it is."""
    if (
        not isinstance(value, Mapping)
        or value.get("resourceType") != "Bundle"
        or next_link(value) is None
    ):
        return _Key(value=value, has_value=True)
    merged, pages_fetched, reason, detail = await read_all_pages(
        value, fetcher, expected, max_pages=max_pages
    )
    return _Key(
        value=merged, has_value=True, reason=reason, fetched=pages_fetched > 0, detail=detail
    )
