"""A 4xx answer names the field, never the value the caller sent (which may be patient data,
and is the caller's text on the service's own page)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests import factories as f

MARKER = "Echo9marker"
SIGN = "/cds-services/baclofen-order-sign"
SELECT = "/cds-services/baclofen-order-select"


def sign_request() -> dict[str, Any]:
    return f.hook_request([f.med_request(rid="mr-1")])


def select_request() -> dict[str, Any]:
    return f.hook_request([f.med_request(rid="mr-1")], hook="order-select")


def changed(request: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    request = copy.deepcopy(request)
    change(request)
    return request


def _set(*path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(request: dict[str, Any]) -> None:
        target: Any = request
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return apply


DRAFT = ("context", "draftOrders", "entry", 0, "resource")
NEWLINE = "MedicationRequest/mr-1\n"
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "hook": (SIGN, changed(sign_request(), _set("hook", value=MARKER))),
    "selection": (SELECT, changed(select_request(), _set("context", "selections", value=[MARKER]))),
    # Was accepted: the Type/id pattern ended in "$", which also matches before a newline.
    "selection with a newline": (
        SELECT, changed(select_request(), _set("context", "selections", value=[NEWLINE]))
    ),
    "unknown selection": (
        SELECT,
        changed(select_request(), _set("context", "selections", value=[f"Medication/{MARKER}"])),
    ),
    "prefetch type": (
        SIGN, changed(sign_request(), _set("prefetch", "conditions", "resourceType", value=MARKER))
    ),
    "draft type": (SIGN, changed(sign_request(), _set(*DRAFT, "resourceType", value=MARKER))),
    "draft date": (SIGN, changed(sign_request(), _set(*DRAFT, "authoredOn", value=MARKER))),
}  # fmt: skip


@pytest.mark.parametrize(("path", "request_body"), CASES.values(), ids=CASES.keys())
async def test_a_400_does_not_echo_what_was_sent(
    client: httpx.AsyncClient, path: str, request_body: dict[str, Any]
) -> None:
    response = await client.post(path, json=request_body)
    assert response.status_code == 400, response.text
    assert MARKER not in response.text


@pytest.mark.parametrize("path", [f"/cds-services/{MARKER}", f"/knowledge/rules/{MARKER}"])
async def test_a_404_does_not_echo_the_path(client: httpx.AsyncClient, path: str) -> None:
    response = (
        await client.post(path, json={}) if "cds-services" in path else await client.get(path)
    )
    assert response.status_code == 404
    assert MARKER not in response.text
