"""Who: children (age bands, mg/kg, weight), and older patients."""

from __future__ import annotations

from collections.abc import Iterator

from service.clinical.findings import Finding, IndicatorName, OrderTest
from service.clinical.knowledge.schema import PediatricBand
from service.clinical.limits import band_limit, is_elderly, pediatric_band
from service.clinical.records import RecordKind
from service.clinical.rules.base import RuleInput, number, order_facts, rule
from service.clinical.suggestions import (
    judged_daily,
    move_to,
    schedule_for_start_or_increase,
    stepping_note,
)


def _age_fact(inp: RuleInput) -> tuple[str, str]:
    age = inp.patient.age
    assert age is not None
    return (inp.knowledge.words("fact_age"), f"{age.text} (born {age.birth_date.isoformat()})")


@rule("pediatric-age-contraindicated")
def pediatric_age_contraindicated(inp: RuleInput) -> Iterator[Finding]:
    age = inp.patient.age
    limit = inp.knowledge.dosing.pediatric.contraindicated_under_age
    if age is None or age.youngest >= limit:
        return
    yield Finding(
        "pediatric-age-contraindicated",
        "critical",
        inp.order,
        values={"age_text": age.text},
        facts=(_age_fact(inp), order_facts(inp.order, inp.knowledge)),
    )


@rule("pediatric-caution")
def pediatric_caution(inp: RuleInput) -> Iterator[Finding]:
    age = inp.patient.age
    pediatric = inp.knowledge.dosing.pediatric
    if (
        age is None
        or not pediatric.contraindicated_under_age <= age.youngest < pediatric.caution_under_age
    ):
        return
    yield Finding(
        "pediatric-caution",
        "warning",
        inp.order,
        values={"age": str(age.youngest)},
        facts=(_age_fact(inp), order_facts(inp.order, inp.knowledge)),
    )


@rule("pediatric-dose")
def pediatric_dose(inp: RuleInput) -> Iterator[Finding]:
    age, weight = inp.patient.age, inp.patient.weight
    dosing = inp.knowledge.dosing
    daily = judged_daily(inp)
    if (
        age is None
        or age.youngest >= dosing.pediatric.adult_from_age
        or not inp.is_oral
        or daily is None
    ):
        return
    band = pediatric_band(age.youngest, inp.knowledge)
    limit, weight_based = band_limit(band, weight) if band is not None else (None, False)
    per_kg = daily / weight.value if weight is not None else None
    critical_per_kg = dosing.pediatric.critical_mg_per_kg
    values = {"dose": number(daily), "age": str(age.youngest)}
    facts = [_age_fact(inp), order_facts(inp.order, inp.knowledge)]
    if weight is not None:
        facts.append((inp.knowledge.words("fact_weight"), weight.text))
        facts.append((inp.knowledge.words("fact_dose_per_kg"), f"{number(per_kg or 0)} mg/kg/day"))
    if band is not None:
        facts.append(
            (inp.knowledge.words("fact_band_maximum"), _band_text(band) + f" ({band.source})")
        )

    indicator: IndicatorName
    if daily > dosing.oral.max_daily_mg:
        indicator, variant = "critical", "adult_ceiling"
        values["limit"] = number(dosing.oral.max_daily_mg)
    elif per_kg is not None and per_kg > critical_per_kg + 1e-9:
        indicator, variant = "critical", "per_kg"
        values["mg_per_kg"] = number(per_kg)
        values["per_kg_limit"] = number(critical_per_kg)
    elif limit is not None and daily > limit + 1e-9:
        # A weight-based band maximum reads as what it is: mg/kg/day at this weight.
        indicator, variant = "warning", "band_per_kg" if weight_based else "band"
        values["limit"] = number(limit)
        if weight_based and band is not None and band.max_mg_per_kg and weight is not None:
            values["band_per_kg"] = number(band.max_mg_per_kg)
            values["kg"] = number(weight.value)
    else:
        return

    target = min(
        x
        for x in (
            limit,
            critical_per_kg * weight.value if weight else None,
            dosing.oral.max_daily_mg,
        )
        if x is not None
    )
    why = inp.knowledge.words("why_age_maximum", age=age.youngest)
    suggestion = move_to(inp, target, why)
    yield Finding(
        "pediatric-dose",
        indicator,
        inp.order,
        values=values,
        variant=variant,
        facts=tuple(facts),
        notes=stepping_note(inp, target) if suggestion else (),
        suggestions=(suggestion,) if suggestion else (),
    )


def _band_text(band: PediatricBand) -> str:
    parts = []
    if band.max_daily_mg is not None:
        parts.append(f"{number(band.max_daily_mg)} mg/day")
    if band.max_mg_per_kg is not None:
        parts.append(f"{number(band.max_mg_per_kg)} mg/kg/day")
    ages = (
        f"age {band.from_age}"
        if band.from_age == band.to_age
        else f"ages {band.from_age}-{band.to_age}"
    )
    return f"{ages}: " + " and ".join(parts)


@rule("weight-missing")
def weight_missing(inp: RuleInput) -> Iterator[Finding]:
    age = inp.patient.age
    dosing = inp.knowledge.dosing
    if (
        age is None
        or age.youngest >= dosing.pediatric.adult_from_age
        or inp.patient.weight is not None
    ):
        return
    if RecordKind.OBSERVATIONS in inp.patient.unavailable:
        return  # the data-missing card already says the results could not be read
    stale = inp.patient.stale_weight
    order = inp.knowledge.observations.orders["body_weight"]
    yield Finding(
        "weight-missing",
        "warning",
        inp.order,
        values={"months": str(dosing.weight.recency_months)},
        facts=(
            _age_fact(inp),
            (inp.knowledge.words("fact_latest_weight"), stale.text if stale else "none recorded"),
        ),
        suggestions=(
            OrderTest(order.code, order.display, inp.knowledge.text("weight-missing", "order")),
        ),
    )


@rule("elderly")
def elderly(inp: RuleInput) -> Iterator[Finding]:
    age = inp.patient.age
    if age is None or not is_elderly(inp.patient, inp.knowledge):
        return
    schedule = schedule_for_start_or_increase(inp)
    yield Finding(
        "elderly",
        "info",
        inp.order,
        suggestions=(schedule,) if schedule else (),
        values={"age": str(age.oldest)},
        facts=(_age_fact(inp), order_facts(inp.order, inp.knowledge)),
    )
