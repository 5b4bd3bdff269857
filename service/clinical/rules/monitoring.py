"""Laboratory monitoring: liver tests in liver disease, glucose in diabetes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from service.clinical.fhir_json import months_before
from service.clinical.findings import Finding, OrderTest
from service.clinical.rules.base import RuleInput, names, rule


def _monitoring(
    inp: RuleInput, code: str, value_set: str, last_test: date | None, order_key: str, what: str
) -> Iterator[Finding]:
    if "observations" in inp.patient.unavailable:
        return  # could not look: the data-missing card says so
    found = inp.patient.conditions_in(value_set)
    months = inp.knowledge.dosing.monitoring.recency_months
    since = months_before(inp.patient.today, months)
    if not found or (last_test is not None and last_test >= since):
        return
    test = inp.knowledge.observations.orders[order_key]
    condition = names(c.label for c in found)
    yield Finding(
        code,
        "info",
        inp.order,
        values={
            "condition": condition if len(condition) <= 40 else condition[:37] + "...",
            "months": str(months),
        },
        facts=(
            ("Recorded condition", names(c.label for c in found)),
            (f"Last {what}", last_test.isoformat() if last_test else "none on record"),
        ),
        suggestions=(OrderTest(test.code, test.display, f"Order {test.display}"),),
    )


@rule("monitoring-hepatic")
def monitoring_hepatic(inp: RuleInput) -> Iterator[Finding]:
    yield from _monitoring(
        inp,
        "monitoring-hepatic",
        "liver_disease",
        inp.patient.last_hepatic_test,
        "hepatic_panel",
        "ALT, AST or ALP",
    )


@rule("monitoring-glucose")
def monitoring_glucose(inp: RuleInput) -> Iterator[Finding]:
    yield from _monitoring(
        inp,
        "monitoring-glucose",
        "diabetes",
        inp.patient.last_glucose_test,
        "glucose",
        "glucose or HbA1c",
    )
