"""Dose arithmetic: units, strengths, concentrations, frequencies, PRN, ranges, steps."""

from __future__ import annotations

from typing import Any

import pytest

from service.clinical.dosing.daily_dose import DoseKind, OrderDose, Route, order_dose
from service.clinical.dosing.products import Form, recognise
from service.clinical.knowledge import Knowledge
from tests.factories import (
    BACLOFEN_5,
    BACLOFEN_10,
    BACLOFEN_IT_TEXT,
    BACLOFEN_SOLUTION_1,
    INTRATHECAL,
    dosage,
    med_request,
)


def dose_of(request: dict[str, Any], knowledge: Knowledge) -> OrderDose:
    product = recognise(request, lambda _: None, knowledge)
    assert product is not None
    return order_dose(request, product, knowledge)


def daily(request: dict[str, Any], knowledge: Knowledge) -> float | None:
    return dose_of(request, knowledge).highest_daily


@pytest.mark.parametrize(
    ("value", "unit", "code", "expected"),
    [
        (10, "mg", "mg", 30),
        (10000, "mcg", "ug", 30),
        (10000, "µg", None, 30),
        (0.01, "g", "g", 30),
        (1, "tablet", "{tbl}", 30),  # 10 mg tablets
        (1, "TAB", None, 30),
        (2, "{pill}", "{pill}", 60),  # the CDS Hooks sandbox's unit
        (0.5, "tablet", "732936001", 15),  # SNOMED unit of presentation
    ],
)
def test_units_of_an_oral_tablet_dose(
    knowledge: Knowledge, value: float, unit: str, code: str | None, expected: float
) -> None:
    entry = dosage(value, unit)
    entry["doseAndRate"][0]["doseQuantity"] = {
        "value": value,
        "unit": unit,
        **({"code": code} if code else {}),
    }
    assert daily(med_request(BACLOFEN_10, [entry]), knowledge) == pytest.approx(expected)


def test_ml_of_a_solution_uses_the_concentration(knowledge: Knowledge) -> None:
    request = med_request(BACLOFEN_SOLUTION_1, [dosage(5, "mL", frequency=4)])
    assert daily(request, knowledge) == 20


def test_ml_with_concentration_from_the_display(knowledge: Knowledge) -> None:
    product = {"text": "baclofen 5 mg/5 mL oral solution"}
    assert daily(med_request(product, [dosage(10, "mL", frequency=3)]), knowledge) == 30


def test_ml_without_any_concentration_is_unverifiable(knowledge: Knowledge) -> None:
    dose = dose_of(med_request({"text": "baclofen oral liquid"}, [dosage(5, "mL")]), knowledge)
    assert dose.highest_daily is None
    assert dose.problem is not None and "concentration" in dose.problem


def test_tablets_of_unknown_strength_are_unverifiable(knowledge: Knowledge) -> None:
    dose = dose_of(med_request({"text": "baclofen tablets"}, [dosage(2, "tablet")]), knowledge)
    assert dose.highest_daily is None and dose.problem == "the tablet strength is not stated"


def test_unknown_unit_is_unverifiable_and_named(knowledge: Knowledge) -> None:
    dose = dose_of(
        med_request(
            BACLOFEN_10,
            [
                dosage(
                    5,
                    "drops",
                )
            ],
        ),
        knowledge,
    )
    assert dose.problem == "the dose unit 'drops' is not recognised"


def test_strength_from_a_contained_medication(knowledge: Knowledge) -> None:
    medication = {
        "resourceType": "Medication",
        "id": "m1",
        "code": {"text": "Baclofen"},
        "ingredient": [
            {
                "itemCodeableConcept": {"text": "baclofen"},
                "strength": {
                    "numerator": {"value": 25, "unit": "mg", "code": "mg"},
                    "denominator": {"value": 1, "unit": "tablet", "code": "{tbl}"},
                },
            }
        ],
    }
    request = med_request(
        dosages=[dosage(1, "tablet", frequency=3)],
        medication_reference="#m1",
        contained=[medication],
    )
    product = recognise(request, lambda ref: medication if ref == "#m1" else None, knowledge)
    assert product is not None and product.strength_mg == 25
    assert order_dose(request, product, knowledge).highest_daily == 75


@pytest.mark.parametrize(
    ("timing", "per_day"),
    [
        ({"code": {"coding": [{"code": "BID"}]}}, 2),
        ({"code": {"coding": [{"code": "TID"}]}}, 3),
        ({"code": {"coding": [{"code": "QID"}]}}, 4),
        ({"code": {"coding": [{"code": "Q4H"}]}}, 6),
        ({"code": {"coding": [{"code": "Q6H"}]}}, 4),
        ({"code": {"coding": [{"code": "Q8H"}]}}, 3),
        ({"code": {"coding": [{"code": "Q12H"}]}}, 2),
        ({"code": {"coding": [{"code": "QD"}]}}, 1),
        ({"code": {"coding": [{"code": "AM"}]}}, 1),
        ({"code": {"coding": [{"code": "PM"}]}}, 1),
        ({"code": {"coding": [{"code": "QOD"}]}}, 1),  # per dosing day
        ({"code": {"text": "three times daily"}}, 3),
        ({"code": {"text": "every 6 hours"}}, 4),
        ({"repeat": {"frequency": 1, "period": 8, "periodUnit": "h"}}, 3),
        ({"repeat": {"frequency": 2, "frequencyMax": 4, "period": 1, "periodUnit": "d"}}, 4),
        ({"repeat": {"frequency": 1, "period": 4, "periodMax": 6, "periodUnit": "h"}}, 6),
        ({"repeat": {"when": ["MORN", "NOON", "EVE"]}}, 3),
        ({"repeat": {"frequency": 1, "period": 1, "periodUnit": "d", "when": ["MORN", "HS"]}}, 2),
        ({"repeat": {"timeOfDay": ["08:00:00", "20:00:00"]}}, 2),
        ({"repeat": {"frequency": 3, "period": 1, "periodUnit": "wk"}}, 1),
        ({"repeat": {"frequency": 14, "period": 1, "periodUnit": "wk"}}, 2),
        ({"repeat": {"frequency": 3, "periodUnit": "d"}}, 3),
    ],
)
def test_frequencies(knowledge: Knowledge, timing: dict[str, Any], per_day: float) -> None:
    request = med_request(BACLOFEN_10, [dosage(10, timing=timing)])
    assert daily(request, knowledge) == pytest.approx(10 * per_day)


def test_no_frequency_is_unverifiable(knowledge: Knowledge) -> None:
    dose = dose_of(med_request(BACLOFEN_10, [dosage(10, frequency=None)]), knowledge)
    assert dose.problem == "the frequency is not stated"


def test_prn_takes_the_maximum_per_period(knowledge: Knowledge) -> None:
    entry = dosage(10, frequency=6, as_needed=True, max_per_day=40)
    assert daily(med_request(BACLOFEN_10, [entry]), knowledge) == 40


def test_prn_without_a_maximum_counts_every_dose(knowledge: Knowledge) -> None:
    entry = dosage(10, frequency=4, as_needed=True)
    assert daily(med_request(BACLOFEN_10, [entry]), knowledge) == 40


def test_dose_range_takes_the_high_end(knowledge: Knowledge) -> None:
    entry = dosage(None, dose_range=(5, 15), frequency=3)
    assert daily(med_request(BACLOFEN_5, [entry]), knowledge) == 45


def test_lines_without_sequence_add_up(knowledge: Knowledge) -> None:
    request = med_request(BACLOFEN_10, [dosage(10, frequency=2), dosage(20, frequency=1)])
    dose = dose_of(request, knowledge)
    assert len(dose.steps) == 1 and dose.highest_daily == 40


def test_different_sequences_are_steps(knowledge: Knowledge) -> None:
    request = med_request(
        BACLOFEN_10,
        [dosage(5, sequence=1, days=3), dosage(10, sequence=2, days=3), dosage(40, sequence=3)],
    )
    dose = dose_of(request, knowledge)
    assert [s.daily for s in dose.steps] == [15, 30, 120]
    assert dose.first_daily == 15 and dose.highest_daily == 120
    assert [s.duration_days for s in dose.steps] == [3, 3, None]


def test_same_sequence_lines_add_up(knowledge: Knowledge) -> None:
    request = med_request(
        BACLOFEN_10, [dosage(10, sequence=1, frequency=2), dosage(5, sequence=1, frequency=1)]
    )
    assert dose_of(request, knowledge).highest_daily == 25


def test_intrathecal_dose_in_mcg(knowledge: Knowledge) -> None:
    request = med_request(BACLOFEN_IT_TEXT, [dosage(900, "mcg", frequency=1, route=INTRATHECAL)])
    dose = dose_of(request, knowledge)
    assert dose.kind is DoseKind.INTRATHECAL and dose.route is Route.INTRATHECAL
    assert dose.highest_daily == 900


def test_intrathecal_rate_per_hour(knowledge: Knowledge) -> None:
    rate = {"value": 37.5, "unit": "mcg/h", "system": "http://unitsofmeasure.org", "code": "ug/h"}
    request = med_request(
        BACLOFEN_IT_TEXT, [dosage(None, frequency=None, rate=rate, route=INTRATHECAL)]
    )
    assert dose_of(request, knowledge).highest_daily == pytest.approx(900)


def test_intrathecal_ml_per_day_uses_the_concentration(knowledge: Knowledge) -> None:
    # 2 mg/mL = 2000 mcg/mL; 0.45 mL/day = 900 mcg/day
    request = med_request(BACLOFEN_IT_TEXT, [dosage(0.45, "mL", frequency=1, route=INTRATHECAL)])
    assert dose_of(request, knowledge).highest_daily == pytest.approx(900)


def test_no_dosage_instructions_is_an_absent_dose(knowledge: Knowledge) -> None:
    dose = dose_of(med_request(BACLOFEN_10, []), knowledge)
    assert dose.dose_absent and dose.highest_daily is None


@pytest.mark.parametrize(
    ("medication", "form", "strength", "concentration"),
    [
        (BACLOFEN_10, Form.TABLET, 10, None),
        (
            {
                "coding": [
                    {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "2593376"}
                ]
            },
            Form.LIQUID,
            None,
            5,
        ),
        ({"text": "Lioresal 25 mg tablets"}, Form.TABLET, 25, None),
        ({"text": "Gablofen 500 mcg/mL intrathecal"}, Form.INTRATHECAL, None, 0.5),
        ({"text": "Lyvispah 10 mg oral granules"}, Form.GRANULES, 10, None),
        (
            {
                "coding": [{"system": "http://www.whocc.no/atc", "code": "M03BX01"}],
                "text": "Baclofen 10mg tab",
            },
            Form.TABLET,
            10,
            None,
        ),
        (
            {
                "coding": [
                    {"system": "http://snomed.info/sct", "code": "387342009", "display": "Baclofen"}
                ]
            },
            Form.UNKNOWN,
            None,
            None,
        ),
    ],
)
def test_products_are_recognised(
    knowledge: Knowledge,
    medication: dict[str, Any],
    form: Form,
    strength: float | None,
    concentration: float | None,
) -> None:
    product = recognise(med_request(medication), lambda _: None, knowledge)
    assert product is not None
    assert (product.form, product.strength_mg, product.concentration_mg_per_ml) == (
        form,
        strength,
        concentration,
    )


@pytest.mark.parametrize(
    "medication",
    [
        {"text": "tizanidine 4 mg tablet"},
        {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "310965"}]},
    ],
)
def test_other_drugs_are_not_baclofen(knowledge: Knowledge, medication: dict[str, Any]) -> None:
    assert recognise(med_request(medication), lambda _: None, knowledge) is None
