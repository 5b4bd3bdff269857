"""Who: children (age bands, mg/kg, weight), and older patients."""

from __future__ import annotations

from collections.abc import Iterator

from service.clinical.dosing.child_dose import ChildDose, child_dose
from service.clinical.facts import Age
from service.clinical.findings import Finding, IndicatorName
from service.clinical.knowledge import Knowledge
from service.clinical.knowledge.schema import PediatricBand
from service.clinical.limits import is_elderly, pediatric_band
from service.clinical.order_text import order_facts
from service.clinical.records import RecordKind
from service.clinical.rules.base import RuleInput
from service.clinical.suggestions import (
    judged_daily,
    move_to,
    order_test,
    schedule_for_start_or_increase,
    stepping_note,
)
from service.clinical.wording import number


def _age_fact(age: Age, knowledge: Knowledge) -> tuple[str, str]:
    born = knowledge.words("value_born", age=age.text, date=age.birth_date.isoformat())
    return (knowledge.words("fact_age"), born)


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
        facts=(_age_fact(age, inp.knowledge), order_facts(inp.order, inp.knowledge)),
    )


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
        facts=(_age_fact(age, inp.knowledge), order_facts(inp.order, inp.knowledge)),
    )


def pediatric_dose(inp: RuleInput) -> Iterator[Finding]:
    """When a child's oral daily dose is above the adult maximum, the critical mg/kg/day or
    the maximum of the age band; then a move to the lowest of them."""
    age, daily = inp.patient.age, judged_daily(inp)
    pediatric = inp.knowledge.dosing.pediatric
    if age is None or daily is None or not inp.is_oral or age.youngest >= pediatric.adult_from_age:
        return
    band = pediatric_band(age.youngest, inp.knowledge)
    dose = child_dose(daily, band, inp.patient.weight, inp.knowledge.dosing)
    excess = _excess(dose)
    if excess is None:
        return
    indicator, variant, limits = excess
    why = inp.knowledge.words("why_age_maximum", age=age.youngest)
    suggestion = move_to(inp, dose.target, why)
    yield Finding(
        "pediatric-dose",
        indicator,
        inp.order,
        values={"dose": number(daily), "age": str(age.youngest), **limits},
        variant=variant,
        facts=_pediatric_facts(inp, age, dose),
        notes=stepping_note(inp, dose.target) if suggestion else (),
        suggestions=(suggestion,) if suggestion else (),
    )


def _excess(dose: ChildDose) -> tuple[IndicatorName, str, dict[str, str]] | None:
    """The severity, the variant and the limit's values of the first limit crossed."""
    per_kg = dose.per_kg
    if dose.above_adult_max:
        return "critical", "adult_ceiling", {"limit": number(dose.adult_max)}
    if per_kg is not None and per_kg > dose.critical_per_kg:
        limits = {"mg_per_kg": number(per_kg), "per_kg_limit": number(dose.critical_per_kg)}
        return "critical", "per_kg", limits
    if dose.above_band and dose.band_limit is not None:
        return "warning", *_band_limit_values(dose, dose.band_limit)
    return None


def _band_limit_values(dose: ChildDose, limit: float) -> tuple[str, dict[str, str]]:
    """A weight-based band maximum reads as what it is: mg/kg/day at this weight."""
    values = {"limit": number(limit)}
    if not dose.weight_based:
        return "band", values
    band, kg = dose.band, dose.weight_kg
    if band is not None and band.max_mg_per_kg and kg is not None:
        values |= {"band_per_kg": number(band.max_mg_per_kg), "kg": number(kg)}
    return "band_per_kg", values


def _pediatric_facts(inp: RuleInput, age: Age, dose: ChildDose) -> tuple[tuple[str, str], ...]:
    words = inp.knowledge.words
    facts = [_age_fact(age, inp.knowledge), order_facts(inp.order, inp.knowledge)]
    weight = inp.patient.weight
    if weight is not None:
        facts.append((words("fact_weight"), weight.text))
        facts.append((words("fact_dose_per_kg"), f"{number(dose.per_kg or 0)} mg/kg/day"))
    if dose.band is not None:
        band_text = _band_text(dose.band) + f" ({dose.band.source})"
        facts.append((words("fact_band_maximum"), band_text))
    return tuple(facts)


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
    yield Finding(
        "weight-missing",
        "warning",
        inp.order,
        values={"months": str(dosing.weight.recency_months)},
        facts=(
            _age_fact(age, inp.knowledge),
            (inp.knowledge.words("fact_latest_weight"), stale.text if stale else "none recorded"),
        ),
        suggestions=(
            order_test(inp.knowledge, "body_weight", inp.knowledge.text("weight-missing", "order")),
        ),
    )


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
        facts=(_age_fact(age, inp.knowledge), order_facts(inp.order, inp.knowledge)),
    )
