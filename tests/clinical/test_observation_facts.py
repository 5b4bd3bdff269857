"""What the rules learn from Observations: the latest of each kind, in the unit they use."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from service.clinical.facts.model import StatusAnswer
from service.clinical.facts.observations import ObservationFacts, observation_facts
from service.clinical.knowledge import Knowledge
from tests.factories import LOINC, SNOMED, TODAY, days_ago, observation, searchset, weight

PREGNANCY, LACTATION = "82810-3", "63895-7"
HEPATIC, GLUCOSE = "1742-6", "2345-7"
EGFR, CRCL = "98979-8", "2164-2"
CREATININE_MG_DL, CREATININE_UMOL_L = "2160-0", "14682-9"


def facts(knowledge: Knowledge, *observations: dict[str, Any]) -> ObservationFacts:
    return observation_facts(searchset(list(observations)), knowledge, TODAY)


def with_value(resource: dict[str, Any], **fields: Any) -> dict[str, Any]:
    resource.pop("valueQuantity", None)
    return {**resource, **fields}


def test_an_empty_record_gives_no_facts(knowledge: Knowledge) -> None:
    assert facts(knowledge) == ObservationFacts(*[None] * 9)


def test_the_latest_weight_wins_and_the_first_of_a_day(knowledge: Knowledge) -> None:
    first, same_day, older = weight(70, days=5), weight(71, days=5), weight(90, days=30)
    found = facts(knowledge, first, same_day, older).weight
    assert found is not None and found.value == 70


@pytest.mark.parametrize(
    ("value", "unit", "kg"),
    [
        (80, "kg", 80),
        (80000, "g", 80),
        (176, "lbs", 79.83),
        (80, "", 80),
        (80, " ", 80),  # a blank unit is no unit
        (80, " KG ", 80),
    ],
)
def test_weights_in_kg(knowledge: Knowledge, value: float, unit: str, kg: float) -> None:
    reading = facts(knowledge, observation("29463-7", value, unit, days=2)).weight
    assert reading is not None and reading.value == pytest.approx(kg, abs=0.01)
    assert (reading.label, reading.unit, reading.code) == ("Body weight", "kg", "29463-7")


@pytest.mark.parametrize(("value", "unit"), [(80, "stone"), (0, "kg"), (-3, "kg")])
def test_unusable_weights_are_skipped(knowledge: Knowledge, value: float, unit: str) -> None:
    older = weight(60, days=30)
    reading = facts(knowledge, older, observation("29463-7", value, unit, days=2)).weight
    assert reading is not None and reading.value == 60


def test_a_weight_without_a_value_is_skipped(knowledge: Knowledge) -> None:
    found = facts(knowledge, weight(60, days=30), observation("29463-7", days=2)).weight
    assert found is not None and found.value == 60


def test_a_weight_older_than_its_window_is_stale(knowledge: Knowledge) -> None:
    found = facts(knowledge, weight(70, days=200))
    assert found.weight is None and found.stale_weight is not None
    assert found.stale_weight.value == 70


def test_a_weight_as_a_string_keeps_its_comparator(knowledge: Knowledge) -> None:
    reading = with_value(observation("29463-7", days=2), valueString=" >150 ")
    found = facts(knowledge, reading).weight
    assert found is not None and (found.value, found.comparator) == (150, ">")


@pytest.mark.parametrize(
    ("code", "label", "unit"), [(EGFR, "eGFR", "mL/min/1.73m2"), (CRCL, "CrCl", "mL/min")]
)
def test_renal_function_is_labelled_by_its_code(
    knowledge: Knowledge, code: str, label: str, unit: str
) -> None:
    found = facts(knowledge, observation(code, 45, "mL/min", days=10))
    assert found.renal is not None
    assert (found.renal.label, found.renal.value, found.renal.unit) == (label, 45, unit)
    assert found.last_renal_test == found.renal.on


def test_the_latest_renal_result_wins_and_negatives_are_skipped(knowledge: Knowledge) -> None:
    newest = observation(CRCL, 50, "mL/min", days=5)
    negative = observation(EGFR, -1, "mL/min", days=1)
    older = observation(EGFR, 80, "mL/min", days=20)
    found = facts(knowledge, older, newest, negative)
    assert found.renal is not None and (found.renal.label, found.renal.value) == ("CrCl", 50)


def test_a_renal_bound_as_text_keeps_its_comparator(knowledge: Knowledge) -> None:
    found = facts(knowledge, with_value(observation(EGFR, days=3), valueString=">=60"))
    assert found.renal is not None and (found.renal.value, found.renal.comparator) == (60, ">=")


def test_an_old_renal_result_is_only_the_last_test(knowledge: Knowledge) -> None:
    found = facts(knowledge, observation(EGFR, 70, "mL/min", days=500))
    assert found.renal is None
    assert found.last_renal_test == TODAY - dt.timedelta(days=500)


@pytest.mark.parametrize(
    ("code", "value", "unit", "mg_dl"),
    [
        (CREATININE_MG_DL, 1.2, "mg/dL", 1.2),
        (CREATININE_MG_DL, 1.2, "mg%", 1.2),
        (CREATININE_MG_DL, 1.2, "", 1.2),
        (CREATININE_UMOL_L, 106, "umol/L", 1.199),
        (CREATININE_UMOL_L, 106, "µmol/L", 1.199),
        (CREATININE_UMOL_L, 106, "", 1.199),
        (CREATININE_UMOL_L, 1.2, "mg/dL", 1.2),  # the unit sent wins over the code's
    ],
)
def test_serum_creatinine_in_mg_dl(
    knowledge: Knowledge, code: str, value: float, unit: str, mg_dl: float
) -> None:
    found = facts(knowledge, observation(code, value, unit, days=10)).creatinine
    assert found is not None
    assert (found.label, found.value, found.unit, found.code) == (
        "Serum creatinine",
        mg_dl,
        "mg/dL",
        code,
    )


@pytest.mark.parametrize(
    "reading",
    [
        observation(CREATININE_MG_DL, 0.4, "mg/dL", comparator="<", days=1),
        observation(CREATININE_MG_DL, 0, "mg/dL", days=1),
        observation(CREATININE_MG_DL, 1.2, "mmol/L", days=1),
        with_value(observation(CREATININE_MG_DL, days=1), valueString="normal"),
    ],
)
def test_unusable_creatinine_is_skipped(knowledge: Knowledge, reading: dict[str, Any]) -> None:
    older = observation(CREATININE_MG_DL, 2.0, "mg/dL", days=30)
    found = facts(knowledge, older, reading)
    assert found.creatinine is not None and found.creatinine.value == 2.0
    assert found.last_renal_test == TODAY - dt.timedelta(days=30)


def test_an_old_creatinine_is_only_the_last_test(knowledge: Knowledge) -> None:
    old_egfr = observation(EGFR, 70, "mL/min", days=900)
    found = facts(knowledge, old_egfr, observation(CREATININE_MG_DL, 1.0, "mg/dL", days=600))
    assert found.creatinine is None and found.renal is None
    assert found.last_renal_test == TODAY - dt.timedelta(days=600)


def test_the_last_renal_test_is_the_later_of_renal_and_creatinine(knowledge: Knowledge) -> None:
    renal = observation(EGFR, 70, "mL/min", days=40)
    creatinine = observation(CREATININE_MG_DL, 1.0, "mg/dL", days=10)
    assert facts(knowledge, renal, creatinine).last_renal_test == TODAY - dt.timedelta(days=10)


def test_the_latest_hepatic_and_glucose_tests(knowledge: Knowledge) -> None:
    found = facts(
        knowledge,
        observation(HEPATIC, 30, "U/L", days=40),
        observation(HEPATIC, 31, "U/L", days=10),
        observation(HEPATIC, 32, "U/L", days=90),
        observation(GLUCOSE, 5, "mmol/L", days=70),
        observation(GLUCOSE, 5, "mmol/L", days=300),
    )
    assert found.last_hepatic_test == TODAY - dt.timedelta(days=10)
    assert found.last_glucose_test == TODAY - dt.timedelta(days=70)


def answered(
    code: str, days: int, answer: tuple[str, str, str] | None = None, **value: Any
) -> dict[str, Any]:
    return {**observation(code, days=days, answer=answer), **value}


@pytest.mark.parametrize(
    ("reading", "answer"),
    [
        (answered(PREGNANCY, 3, (LOINC, "LA15173-0", "Pregnant")), StatusAnswer.YES),
        (answered(PREGNANCY, 3, (SNOMED, "60001007", "Not pregnant")), StatusAnswer.NO),
        (answered(PREGNANCY, 3, valueString="Not pregnant"), StatusAnswer.NO),
        (answered(PREGNANCY, 3, valueString="pregnant"), StatusAnswer.YES),
        (answered(PREGNANCY, 3, valueBoolean=True), StatusAnswer.YES),
        (answered(PREGNANCY, 3, valueBoolean=False), StatusAnswer.NO),
        (answered(PREGNANCY, 3, valueString="unsure"), StatusAnswer.UNKNOWN),
    ],
)
def test_pregnancy_answers(
    knowledge: Knowledge, reading: dict[str, Any], answer: StatusAnswer
) -> None:
    found = facts(knowledge, reading)
    assert found.pregnancy is not None and found.lactation is None
    assert found.pregnancy.answer is answer
    on = TODAY - dt.timedelta(days=3)
    assert (found.pregnancy.on, found.pregnancy.label) == (on, f"pregnancy status {on}")


@pytest.mark.parametrize(
    ("reading", "answer"),
    [
        (answered(LACTATION, 3, (LOINC, "LA33-6", "Yes")), StatusAnswer.YES),
        (answered(LACTATION, 3, (LOINC, "LA32-8", "No")), StatusAnswer.NO),
        (answered(LACTATION, 3, valueString="Lactating"), StatusAnswer.YES),
        (answered(LACTATION, 3, valueString="not breastfeeding"), StatusAnswer.NO),
        (answered(LACTATION, 3), StatusAnswer.UNKNOWN),
    ],
)
def test_breastfeeding_answers(
    knowledge: Knowledge, reading: dict[str, Any], answer: StatusAnswer
) -> None:
    found = facts(knowledge, reading)
    assert found.lactation is not None and found.pregnancy is None
    assert found.lactation.answer is answer
    on = TODAY - dt.timedelta(days=3)
    assert (found.lactation.on, found.lactation.label) == (on, f"breastfeeding status {on}")


def test_the_latest_status_answer_wins_and_the_first_of_a_day(knowledge: Knowledge) -> None:
    found = facts(
        knowledge,
        answered(PREGNANCY, 20, valueBoolean=True),
        answered(PREGNANCY, 5, valueBoolean=False),
        answered(PREGNANCY, 5, valueBoolean=True),
        answered(PREGNANCY, 40, valueBoolean=True),
        answered(LACTATION, 5, valueBoolean=True),
        answered(LACTATION, 2, valueBoolean=False),
    )
    assert found.pregnancy is not None and found.pregnancy.answer is StatusAnswer.NO
    assert found.lactation is not None and found.lactation.answer is StatusAnswer.NO
    assert found.lactation.on == TODAY - dt.timedelta(days=2)


def recoded(resource: dict[str, Any], system: str | None) -> dict[str, Any]:
    coding = {k: v for k, v in resource["code"]["coding"][0].items() if k != "system"}
    return {**resource, "code": {"coding": [{**coding, **({"system": system} if system else {})}]}}


def test_only_loinc_or_unsystemed_codes_count(knowledge: Knowledge) -> None:
    assert facts(knowledge, recoded(weight(70, days=2), "http://example.org/codes")).weight is None
    found = facts(knowledge, recoded(weight(70, days=2), None)).weight
    assert found is not None and found.value == 70


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled"])
def test_withdrawn_observations_are_ignored(knowledge: Knowledge, status: str) -> None:
    assert facts(knowledge, observation(EGFR, 20, "mL/min", status=status)).renal is None


def test_observations_without_a_date_or_in_the_future_are_ignored(knowledge: Knowledge) -> None:
    undated = {k: v for k, v in observation(EGFR, 20, "mL/min").items() if k != "effectiveDateTime"}
    future = observation(EGFR, 20, "mL/min", days=-1)
    assert facts(knowledge, undated, future) == ObservationFacts(*[None] * 9)


@pytest.mark.parametrize(
    ("when", "days"),
    [
        ({"effectiveInstant": f"{days_ago(4)}T10:00:00Z"}, 4),
        ({"issued": f"{days_ago(6)}T10:00:00Z"}, 6),
        ({"effectivePeriod": {"start": days_ago(9), "end": days_ago(7)}}, 7),
        ({"effectivePeriod": {"start": days_ago(9)}}, 9),
    ],
)
def test_the_date_of_an_observation(knowledge: Knowledge, when: dict[str, Any], days: int) -> None:
    reading = {k: v for k, v in weight(70).items() if k != "effectiveDateTime"}
    found = facts(knowledge, {**reading, **when}).weight
    assert found is not None and found.on == TODAY - dt.timedelta(days=days)


def test_one_observation_can_answer_two_groups(knowledge: Knowledge) -> None:
    both = observation(EGFR, 55, "mL/min", days=4)
    both["code"]["coding"].append({"system": LOINC, "code": HEPATIC})
    found = facts(knowledge, both)
    assert found.renal is not None and found.renal.value == 55
    assert found.last_hepatic_test == TODAY - dt.timedelta(days=4)
