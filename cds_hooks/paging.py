"""Searchset pages: following ``link[relation=next]`` until the last page or a cap.

CDS Hooks 2.0 allows prefetched searches to be paginated, and FHIR servers page their own
search results. A search read only in part is a list with entries missing, so what could not be
read is reported with the entries that could.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cds_hooks.fetch import Expected, Fetcher, FetchError, check_answer


def next_link(bundle: Mapping[str, Any]) -> str | None:
    links = bundle.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, Mapping) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) and url else None
    return None


async def read_all_pages(
    first: Mapping[str, Any],
    fetcher: Fetcher | None,
    expected: Expected,
    *,
    max_pages: int,
) -> tuple[dict[str, Any], int, str | None, str | None]:
    """The searchset with the entries of all its pages, the pages fetched, why it is partial,
    and what happened when a page's fetch failed (``FetchError.detail``, for the log).

    Every page must be what ``expected`` says, as the first was.

    The returned Bundle keeps the first page's fields (``total`` among them) but no ``link``:
    it is no longer any one page. The reason is ``None`` when every page was read.
    """
    entries = list(first.get("entry") or [])
    read, fetched = 1, 0
    link = next_link(first)
    reason: str | None = None
    detail: str | None = None
    while link is not None:
        if fetcher is None:
            reason = "only the first page was sent, and there is no FHIR server to read the rest"
            break
        if read >= max_pages:
            reason = f"more than {max_pages} pages of results; only the first {max_pages} were read"
            break
        try:
            page = await fetcher.fetch(link)
            check_answer(page, expected)
        except FetchError as error:
            reason = f"only {read} page{'s' if read > 1 else ''} could be read: {error.reason}"
            detail = f"page {read + 1}: {error.detail}"
            break
        entries.extend(page.get("entry") or [])
        read, fetched = read + 1, fetched + 1
        link = next_link(page)
    merged = {name: value for name, value in first.items() if name != "link"}
    merged["entry"] = entries
    return merged, fetched, reason, detail
