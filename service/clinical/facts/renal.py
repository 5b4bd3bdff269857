"""Kidney function: a measured CrCl or eGFR, else a Cockcroft-Gault estimate from creatinine."""

from __future__ import annotations

from service.clinical.facts.model import Age, Measurement
from service.clinical.knowledge import Knowledge
from service.clinical.wording import number


def renal_function(
    measured: Measurement | None,
    creatinine: Measurement | None,
    age: Age | None,
    sex: str | None,
    weight: Measurement | None,
    knowledge: Knowledge,
) -> Measurement | None:
    """The measured value when there is one within the window; else the Cockcroft-Gault
    CrCl when creatinine, age, sex and a recent weight are all known and the patient is an
    adult; else None.

    The oldest age a partial birth date allows is used: it gives the lower CrCl. The formula
    is for adults: in a child it reads a healthy kidney as an impaired one.
    """
    if measured is not None:
        return measured
    if creatinine is None or age is None or weight is None or sex not in ("male", "female"):
        return None
    if age.youngest < knowledge.dosing.pediatric.adult_from_age:
        return None
    formula = knowledge.dosing.renal.cockcroft_gault
    years = age.oldest
    value = (formula.age_from - years) * weight.value / (formula.divisor * creatinine.value)
    if sex == "female":
        value *= formula.female_factor
    return Measurement(
        formula.label,
        round(max(value, 0.0), 1),
        "mL/min",
        creatinine.on,
        creatinine.code,
        estimated_from=formula.estimated_from.format(
            creatinine=number(creatinine.value),
            on=creatinine.on.isoformat(),
            age=years,
            sex=sex,
            weight=number(weight.value),
        ),
    )
