"""The demo's patients: the bundled examples (``fixtures/``), their dates moved to today.

Each example is one patient with the orders of its scenario: its prefetch becomes the chart,
its draft orders the orders being written. Examples whose drafts the page cannot edit (the
DSTU2 ``MedicationOrder`` of the sandbox example) are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from service.api.demo.chart import ChartSummary, chart_summary
from service.clinical.facts.bundles import resources
from service.clinical.facts.medications import baclofen_order, medication_index
from service.clinical.knowledge import Knowledge
from service.pipeline.examples import Fixture, all_fixtures

EDITABLE_DRAFTS = frozenset({"MedicationRequest", "ServiceRequest"})
HOOKS = {
    "baclofen-order-select": "order-select",
    "baclofen-order-sign": "order-sign",
    "baclofen-patient-view": "patient-view",
}


@dataclass(frozen=True)
class Example:
    key: str
    label: str
    fixture: Fixture


def _fits(fixture: Fixture) -> bool:
    request = fixture.request
    if not isinstance(request.get("prefetch", {}).get("patient"), dict):
        return False
    drafts = request.get("context", {}).get("draftOrders")
    return all(r.get("resourceType") in EDITABLE_DRAFTS for r in resources(drafts))


@cache
def examples() -> tuple[Example, ...]:
    """Every example the demo offers, in the order of their numbers."""
    return tuple(
        Example(f.key, f"{f.key.split('-')[0]} · {f.name}", f) for f in all_fixtures() if _fits(f)
    )


def find_example(key: str) -> Example | None:
    return next((e for e in examples() if e.key == key), None)


def _baclofen_ids(
    requests: Iterable[Mapping[str, Any]], index: Mapping[str, Any], knowledge: Knowledge
) -> list[str]:
    return [
        str(request.get("id"))
        for request in requests
        if request.get("resourceType") == "MedicationRequest"
        and baclofen_order(request, index, knowledge, is_draft=False) is not None
    ]


def example_state(
    example: Example, knowledge: Knowledge, today: dt.date
) -> tuple[dict[str, Any], ChartSummary]:
    """What the page starts from (JSON for its script), and the chart summary to show."""
    request = example.fixture.shifted_request(today)
    context = request["context"]
    prefetch = request.get("prefetch", {})
    drafts = [dict(r) for r in resources(context.get("draftOrders"))]
    index = medication_index(context.get("draftOrders"), prefetch.get("medications"))
    active_baclofen = _baclofen_ids(resources(prefetch.get("medications")), index, knowledge)
    state = {
        "key": example.key,
        "label": example.label,
        "hook": HOOKS.get(example.fixture.service, "order-sign"),
        "context": {
            name: context[name]
            for name in ("userId", "patientId", "encounterId")
            if name in context
        },
        "prefetch": prefetch,
        "drafts": drafts,
        "selections": list(context.get("selections", [])),
        "activeBaclofen": active_baclofen,
        "baclofenDrafts": _baclofen_ids(drafts, index, knowledge),
    }
    summary = chart_summary(prefetch, knowledge, today, set(active_baclofen))
    return state, summary
