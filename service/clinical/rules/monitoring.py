"""Laboratory monitoring: liver tests in liver disease, glucose in diabetes, kidney function
from 65 and in chronic kidney disease."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from service.clinical.facts import ConditionFact
from service.clinical.fhir_json import months_before
from service.clinical.findings import Finding, OrderTest
from service.clinical.limits import is_elderly
from service.clinical.records import RecordKind
from service.clinical.rules.base import RuleInput, names, rule


def _monitoring(
    inp: RuleInput,
    code: str,
    found: list[ConditionFact],
    last_test: date | None,
    order_key: str,
    months: int,
    *,
    variant: str | None = None,
) -> Iterator[Finding]:
    if RecordKind.OBSERVATIONS in inp.patient.unavailable:
        return  # could not look: the data-missing card says so
    since = months_before(inp.patient.today, months)
    if last_test is not None and last_test >= since:
        return
    test = inp.knowledge.observations.orders[order_key]
    condition = names(c.label for c in found)
    age = inp.patient.age
    words = inp.knowledge.words
    yield Finding(
        code,
        "info",
        inp.order,
        variant=variant,
        values={
            "condition": condition if len(condition) <= 40 else condition[:37] + "...",
            "months": str(months),
            "age": str(age.oldest) if age else "",
        },
        facts=(
            *(
                ((words("fact_recorded_condition"), names(c.evidence for c in found)),)
                if found
                else ()
            ),
            *(((words("fact_age"), age.text),) if age and not found else ()),
            (
                words("fact_last_test", what=inp.knowledge.text(code, "last_test")),
                last_test.isoformat() if last_test else words("none_on_record"),
            ),
        ),
        suggestions=(
            OrderTest(test.code, test.display, words("order_test", display=test.display)),
        ),
    )


@rule("monitoring-hepatic")
def monitoring_hepatic(inp: RuleInput) -> Iterator[Finding]:
    found = inp.patient.conditions_in("liver_disease")
    if found:
        months = inp.knowledge.dosing.monitoring.recency_months
        last = inp.patient.last_hepatic_test
        yield from _monitoring(inp, "monitoring-hepatic", found, last, "hepatic_panel", months)


@rule("monitoring-glucose")
def monitoring_glucose(inp: RuleInput) -> Iterator[Finding]:
    found = inp.patient.conditions_in("diabetes")
    if found:
        months = inp.knowledge.dosing.monitoring.recency_months
        last = inp.patient.last_glucose_test
        yield from _monitoring(inp, "monitoring-glucose", found, last, "glucose", months)


@rule("monitoring-renal")
def monitoring_renal(inp: RuleInput) -> Iterator[Finding]:
    """From 65, or with chronic kidney disease coded: a kidney function result every year."""
    ckd = inp.patient.conditions_in("renal_failure") + inp.patient.conditions_in("renal_impairment")
    if not ckd and not is_elderly(inp.patient, inp.knowledge):
        return
    months = inp.knowledge.dosing.monitoring.renal_recency_months
    last = inp.patient.last_renal_test
    variant = "ckd" if ckd else "elderly"
    yield from _monitoring(
        inp, "monitoring-renal", ckd, last, "renal_function", months, variant=variant
    )
