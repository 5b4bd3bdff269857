"""Suggestions that cannot harm: what the clinical audits of the one-click changes found.

Each test is one situation an independent pharmacist tried; together they pin the section
"What suggestions may do" of the catalogue: corrections of an established dose are tapers,
one schedule per answer, no increase beside a contraindication, and the encodings real
clients send.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.clinical.conftest import Assess, action_resource, cards_by_code
from tests.clinical.suggestion_checks import first_step_daily, steps_of
from tests.factories import (
    BACLOFEN_5,
    BACLOFEN_10,
    BACLOFEN_20,
    BACLOFEN_IT_TEXT,
    INTRATHECAL,
    allergy,
    condition,
    dosage,
    egfr,
    hook_request,
    med_request,
    patient,
    rxnorm_concept,
    weight,
    years_ago,
)

BACLOFEN_25_TEXT = {"text": "baclofen 25 mg tablet"}
GRANULES_10 = {"text": "Lyvispah baclofen 10 mg oral granules"}


def active(
    medication: dict[str, Any], per_dose: float, per_day: int = 3, days: int = 180, **kw: Any
) -> dict[str, Any]:
    return med_request(
        medication,
        [dosage(per_dose, frequency=per_day)],
        status="active",
        authored_days_ago=days,
        **kw,
    )


def pump(mcg: float, status: str = "active", **kw: Any) -> dict[str, Any]:
    return med_request(
        BACLOFEN_IT_TEXT,
        [dosage(mcg, "mcg", frequency=1, route=INTRATHECAL)],
        status=status,
        authored_days_ago=120 if status == "active" else 0,
        **kw,
    )


def codes(assessment: Any) -> dict[str, str]:
    return {c.source.topic.code: c.indicator.value for c in assessment.cards if c.source.topic}


def schedule_cards(assessment: Any) -> list[str]:
    """The rule codes of the cards that carry a schedule (a MedicationRequest of 2+ steps)."""
    found = []
    for card in assessment.cards:
        for suggestion in card.suggestions:
            for action in suggestion.actions:
                resource = action.resource or {}
                if (
                    resource.get("resourceType") == "MedicationRequest"
                    and len(steps_of(resource)) > 1
                ):
                    found.append(card.source.topic.code if card.source.topic else "")
    return found


# 1. Patient-view corrections start from the active order's dose ------------------------------


def test_patient_view_above_the_maximum_tapers_from_the_current_dose(run: Assess) -> None:
    order = active(BACLOFEN_10, 30, per_day=4)
    result = run(hook_request(hook="patient-view", medications=[order]))
    card = cards_by_code(result)["dose-above-max"]
    resource = action_resource(card)
    assert resource["id"] == order["id"]
    steps = steps_of(resource)
    assert steps[0] >= 120 - 15, steps  # never a restart at 15 mg/day
    assert steps[-1] == 100
    assert "priorPrescription" not in resource  # it is the order itself


def test_patient_view_child_band_correction_is_not_a_restart(run: Assess) -> None:
    order = active(BACLOFEN_5, 25, per_day=3)  # 75 mg/day at age 8, band 60
    request = hook_request(
        hook="patient-view",
        medications=[order],
        patient_resource=patient(years_ago(8, 30)),
        observations=[weight(40), egfr(95)],
    )
    card = cards_by_code(run(request))["pediatric-dose"]
    assert first_step_daily(action_resource(card)) == 60


def test_patient_view_renal_cap_from_50_mg_is_40_not_15(run: Assess) -> None:
    order = active(BACLOFEN_10, 12.5, per_day=4)  # 50 mg/day
    request = hook_request(
        hook="patient-view", medications=[order], observations=[weight(80), egfr(30)]
    )
    card = cards_by_code(run(request))["renal-impairment"]
    assert first_step_daily(action_resource(card)) == 40


# 2. Unknown medication history is never "new start" -------------------------------------------


def test_unknown_medication_history_is_not_a_new_start(run: Assess) -> None:
    draft = med_request(BACLOFEN_10, [dosage(20)])
    result = run(hook_request([draft]), unavailable={"medications": "timed out after 3 s"})
    fired = codes(result)
    assert fired["data-missing"] == "warning"
    assert "start-dose-high" not in fired and "titration-plan" not in fired
    assert not schedule_cards(result)
    detail = cards_by_code(result)["data-missing"].detail or ""
    assert "start-dose-high" in detail and "abrupt-discontinuation" in detail
    assert all(not card.suggestions for card in result.cards if card.source.topic)


# 3. and 8. Several orders: one card, each route's dose, no stop of a pump ---------------------


def test_oral_bridging_beside_a_pump_is_info_and_stops_nothing(run: Assess) -> None:
    draft = med_request(BACLOFEN_5, [dosage(5)])
    result = run(hook_request([draft], medications=[pump(500)]))
    card = cards_by_code(result)["duplicate-therapy"]
    assert card.indicator == "info"
    assert "oral 15 mg/day" in card.summary and "intrathecal 500 mcg/day" in card.summary
    assert card.suggestions == []
    # and the oral order is judged as an oral start: 15 mg/day is the start dose
    assert "titration-plan" in codes(result)


def test_an_oral_start_beside_a_pump_is_judged_as_a_start(run: Assess) -> None:
    draft = med_request(BACLOFEN_10, [dosage(20)])
    assert codes(run(hook_request([draft], medications=[pump(500)])))["start-dose-high"]


def test_an_unknown_dose_is_unknown_not_zero(run: Assess) -> None:
    draft = med_request(BACLOFEN_10, [])
    other = active(BACLOFEN_10, 10)
    card = cards_by_code(run(hook_request([draft], medications=[other])))["duplicate-therapy"]
    assert "unknown" in card.summary and "30 mg/day" not in card.summary


def test_two_oral_orders_together_above_the_maximum_are_critical(run: Assess) -> None:
    draft = med_request(BACLOFEN_20, [dosage(20)])  # 60 mg/day, no priorPrescription
    result = run(hook_request([draft], medications=[active(BACLOFEN_20, 20)]))
    card = cards_by_code(result)["duplicate-therapy"]
    assert card.indicator == "critical"
    assert "oral 120 mg/day" in card.summary


def test_patient_view_two_active_orders_get_no_abrupt_stop(run: Assess) -> None:
    orders = [active(BACLOFEN_20, 20), active(BACLOFEN_10, 10, days=30)]
    orders[1]["dosageInstruction"] = [dosage(25, frequency=2)]  # 50 mg/day
    result = run(hook_request(hook="patient-view", medications=orders))
    card = cards_by_code(result)["duplicate-therapy"]
    assert card.indicator == "critical"  # 110 mg/day together
    assert card.suggestions == []
    assert "Reconcile" in (card.detail or "")


def test_one_duplicate_card_per_group(run: Assess) -> None:
    drafts = [med_request(BACLOFEN_10, [dosage(5)]) for _ in range(4)]
    result = run(hook_request(drafts))
    assert result.rule_codes.count("duplicate-therapy") == 1


def test_two_new_drafts_are_one_start_with_one_schedule(run: Assess) -> None:
    first, second = (
        med_request(BACLOFEN_10, [dosage(10)]),
        med_request(BACLOFEN_5, [dosage(20 / 3)]),
    )
    first["dosageInstruction"] = [dosage(10, frequency=3)]  # 30 mg/day
    second["dosageInstruction"] = [dosage(10, frequency=2)]  # 20 mg/day
    result = run(hook_request([first, second]))
    cards = result.rule_codes
    assert cards.count("start-dose-high") == 1
    card = cards_by_code(result)["start-dose-high"]
    assert "50 mg/day" in card.summary
    assert schedule_cards(result) == ["start-dose-high"]
    (suggestion,) = card.suggestions
    assert [a.type.value for a in suggestion.actions] == ["update", "delete"]


def test_a_lower_replacement_ends_the_older_order_with_a_taper(run: Assess) -> None:
    older = active(BACLOFEN_10, 20)  # 60 mg/day
    draft = med_request(BACLOFEN_10, [dosage(10)])  # 30 mg/day, no priorPrescription
    result = run(hook_request([draft], medications=[older]))
    card = cards_by_code(result)["duplicate-therapy"]
    (suggestion,) = card.suggestions
    update, stop = suggestion.actions
    assert first_step_daily(update.resource or {}) >= 45
    assert stop.resource is not None and stop.resource["status"] == "stopped"
    assert schedule_cards(result) == ["duplicate-therapy"]  # not again on abrupt-discontinuation


def test_a_replacement_within_15_mg_may_end_the_older_order(run: Assess) -> None:
    older = active(BACLOFEN_10, 20)  # 60
    draft = med_request(BACLOFEN_10, [dosage(50 / 3)])  # 50
    card = cards_by_code(run(hook_request([draft], medications=[older])))["duplicate-therapy"]
    (suggestion,) = card.suggestions
    linked, stopped = (action.resource or {} for action in suggestion.actions)
    assert linked["id"] == draft["id"]
    assert linked["priorPrescription"] == {"reference": f"MedicationRequest/{older['id']}"}
    assert stopped["id"] == older["id"] and stopped["status"] == "stopped"


def test_a_stop_beside_its_replacement_is_no_discontinuation(fired: Any) -> None:
    """What an EHR sends when the replacement above is accepted: the old order stopped and
    the new one naming it."""
    older = active(BACLOFEN_10, 20)
    stop = {**older, "status": "stopped"}
    draft = med_request(BACLOFEN_10, [dosage(50 / 3)], prior=older["id"])
    codes_ = fired(hook_request([stop, draft], medications=[older]))
    assert "abrupt-discontinuation" not in codes_ and "duplicate-therapy" not in codes_


# 4. The intrathecal reduction --------------------------------------------------------------


def test_intrathecal_stop_reduces_by_a_fifth_of_each_step_and_never_stops(run: Assess) -> None:
    current = pump(500)
    stop = pump(500, status="stopped", rid=current["id"])
    result = run(hook_request([stop], medications=[current]))
    card = cards_by_code(result)["intrathecal-discontinuation"]
    assert card.indicator == "critical"
    steps = steps_of(action_resource(card))
    previous = 500.0
    for daily in steps:
        assert 0 < previous - daily <= 0.2 * previous + 1e-6
        previous = daily
    assert steps[-1] <= 100
    assert "specialist supervision" in (card.detail or "")


# 5. Stops --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["stopped", "cancelled", "completed", "on-hold"])
def test_every_stop_status_is_a_stop(fired: Any, status: str) -> None:
    current = active(BACLOFEN_10, 15)
    draft = med_request(BACLOFEN_10, [dosage(15)], status=status, rid=current["id"])
    assert fired(hook_request([draft], medications=[current]))["abrupt-discontinuation"]


@pytest.mark.parametrize("status", ["completed", "on-hold"])
def test_intrathecal_on_hold_or_completed_is_a_stop(fired: Any, status: str) -> None:
    current = pump(400)
    draft = pump(400, status=status, rid=current["id"])
    codes_ = fired(hook_request([draft], medications=[current]))
    assert codes_["intrathecal-discontinuation"] == "critical"


# 6. Titration on products that cannot give 5 mg doses ---------------------------------------


@pytest.mark.parametrize(
    "medication",
    [BACLOFEN_20, BACLOFEN_25_TEXT, GRANULES_10],
    ids=["20 mg tablets", "25 mg tablets", "10 mg granules"],
)
def test_titration_starts_at_5_mg_three_times_daily(run: Assess, medication: Any) -> None:
    draft = med_request(medication, [dosage(20)])  # 60 mg/day new start
    card = cards_by_code(run(hook_request([draft])))["start-dose-high"]
    resource = action_resource(card)
    first = resource["dosageInstruction"][0]
    assert first["doseAndRate"][0]["doseQuantity"]["value"] == 5
    assert first["timing"]["repeat"]["frequency"] == 3
    assert steps_of(resource)[:3] == [15, 30, 45]
    assert "+5 mg per dose" in card.suggestions[0].label
    assert "10 mg tablets" in card.suggestions[0].label


# 7. One schedule per answer, none beside a contraindication ---------------------------------


def test_start_renal_and_elderly_carry_one_schedule(run: Assess) -> None:
    draft = med_request(BACLOFEN_10, [dosage(10)])
    request = hook_request(
        [draft], patient_resource=patient(years_ago(80, 30)), observations=[weight(70), egfr(45)]
    )
    result = run(request)
    assert len(schedule_cards(result)) == 1
    others = [c for c in result.cards if c.source.topic and c.source.topic.code == "elderly"]
    assert "offered once" in (others[0].detail or "")


@pytest.mark.parametrize(
    ("extra", "blocker"),
    [
        (
            {"conditions": [condition(snomed="49049000", display="Parkinson's disease")]},
            "contraindication-parkinsons",
        ),
        (
            {"allergies": [allergy(rxnorm_concept("1292", "baclofen"))]},
            "contraindication-hypersensitivity",
        ),
        ({"patient_resource": patient(years_ago(1, 30))}, "pediatric-age-contraindicated"),
    ],
)
def test_no_titration_beside_a_critical_contraindication(
    run: Assess, extra: dict[str, Any], blocker: str
) -> None:
    draft = med_request(BACLOFEN_10, [dosage(10)])
    if "patient_resource" not in extra:
        extra = {**extra, "patient_resource": patient(years_ago(80, 30))}
    result = run(hook_request([draft], **extra))
    assert codes(result)[blocker] == "critical"
    assert not schedule_cards(result)
    assert all(not getattr(s, "raises", False) for c in result.cards for s in c.suggestions)


def test_no_oral_titration_for_a_tablet_ordered_intrathecally(run: Assess) -> None:
    draft = med_request(BACLOFEN_10, [dosage(10, route=INTRATHECAL)])
    result = run(hook_request([draft]))
    assert codes(result)["intrathecal-route"] == "critical"
    assert not schedule_cards(result)


# 9. The encodings real clients send --------------------------------------------------------


def dstu2_order(pills: float, per_day: int) -> dict[str, Any]:
    """A MedicationOrder as the CDS Hooks sandbox sends it on its default DSTU2 server."""
    return {
        "resourceType": "MedicationOrder",
        "id": "request-123",
        "status": "draft",
        "dateWritten": "2026-11-23",
        "patient": {"reference": "Patient/pat-1"},
        "medicationCodeableConcept": BACLOFEN_10,
        "dosageInstruction": [
            {
                "doseQuantity": {
                    "value": pills,
                    "system": "http://unitsofmeasure.org",
                    "code": "{pill}",
                },
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnits": "d"}},
            }
        ],
    }


def test_dstu2_period_units_is_read(run: Assess) -> None:
    result = run(hook_request([dstu2_order(3, 4)]))  # 3 x 10 mg four times daily
    card = cards_by_code(result)["dose-above-max"]
    assert card.indicator == "critical" and "120 mg/day" in card.summary
    resource = action_resource(card)
    assert resource["resourceType"] == "MedicationRequest"
    assert resource["subject"] == {"reference": "Patient/pat-1"}
    assert "patient" not in resource and "dateWritten" not in resource


def test_stu3_dosage_with_the_dose_on_the_dosage_is_read(fired: Any) -> None:
    draft = med_request(BACLOFEN_10)
    draft["dosageInstruction"] = [
        {
            "doseQuantity": {"value": 40, "unit": "mg", "system": "http://unitsofmeasure.org"},
            "timing": {"repeat": {"frequency": 3, "period": 1, "periodUnit": "d"}},
        }
    ]
    assert fired(hook_request([draft]))["dose-above-max"] == "critical"


# 10. Smaller ones --------------------------------------------------------------------------


def test_as_ordered_only_when_it_is(run: Assess) -> None:
    older = active(BACLOFEN_10, 10, days=10)  # 30 mg/day
    draft = med_request(BACLOFEN_10, [dosage(40)], prior=older["id"])  # 120 mg/day
    request = hook_request([draft], medications=[older], observations=[weight(80), egfr(45)])
    for card in run(request).cards:
        for suggestion in card.suggestions:
            assert "as ordered" not in suggestion.label, suggestion.label


def test_tablet_switch_is_never_offered_without_an_rxnorm_code(run: Assess) -> None:
    older = active(BACLOFEN_10, 25, per_day=4)
    draft = med_request(BACLOFEN_10, [dosage(25, frequency=4)], prior=older["id"])
    request = hook_request([draft], medications=[older], observations=[weight(80), egfr(45)])
    card = cards_by_code(run(request))["tablet-strength"]
    assert card.suggestions == []
    assert "no RxNorm code" in (card.detail or "")


def test_renal_failure_continues_at_5_mg_once_daily_on_5_mg_tablets(run: Assess) -> None:
    draft = med_request(BACLOFEN_5, [dosage(5, frequency=2)])  # 10 mg/day new start
    request = hook_request(
        [draft],
        conditions=[condition(icd10="N18.5", display="Chronic kidney disease, stage 5")],
    )
    card = cards_by_code(run(request))["renal-contraindication"]
    (line,) = action_resource(card)["dosageInstruction"]
    assert line["doseAndRate"][0]["doseQuantity"]["value"] == 5
    assert line["timing"]["repeat"]["frequency"] == 1


def test_an_intrathecal_screening_bolus_is_one_dose(fired: Any) -> None:
    bolus = med_request(BACLOFEN_IT_TEXT)
    bolus["dosageInstruction"] = [
        {
            "route": INTRATHECAL,
            "timing": {"repeat": {"count": 1}},
            "doseAndRate": [{"doseQuantity": {"value": 50, "unit": "mcg", "code": "ug"}}],
        }
    ]
    assert "dose-unverifiable" not in fired(hook_request([bolus]))


# Many orders in one call: work and answer bounded ---------------------------------------------


def test_a_thousand_drafts_give_a_bounded_answer_that_says_what_was_not_checked(
    run: Assess,
) -> None:
    drafts = [med_request(BACLOFEN_10, [dosage(5)]) for _ in range(1000)]
    result = run(hook_request(drafts))
    codes_ = [c.source.topic.code for c in result.cards if c.source.topic]
    assert codes_.count("duplicate-therapy") == 1
    missing = cards_by_code(result)["data-missing"]
    assert "980" in missing.summary
    answer = sum(len(card.model_dump_json()) for card in result.cards)
    assert answer < 200_000, answer  # was 200 MB for 1,000 drafts


# Suggestions accepted together ---------------------------------------------------------------


def test_the_endings_of_one_card_together_keep_the_intake_within_one_cut(run: Assess) -> None:
    # 45 mg/day today; two new drafts of 15 and 30 mg/day without priorPrescription. Each
    # ending alone kept the intake, but "stop the older order" and "remove draft B" accepted
    # together left 15 mg/day: a 30 mg/day cut at once.
    older = active(BACLOFEN_5, 15, rid="mr-older")
    draft_a = med_request(BACLOFEN_5, [dosage(5)], rid="mr-a")
    draft_b = med_request(BACLOFEN_10, [dosage(10)], rid="mr-b")
    result = run(hook_request([draft_a, draft_b], medications=[older]))
    card = cards_by_code(result)["duplicate-therapy"]
    intake = {"mr-older": 45.0, "mr-a": 15.0, "mr-b": 30.0}
    ending_older = 0
    for suggestion in card.suggestions:
        touches_older = False
        for action in suggestion.actions:
            if action.type.value == "delete":
                intake.pop(str(action.resourceId).split("/")[-1], None)
                continue
            resource = action.resource or {}
            rid = str(resource.get("id"))
            prior = (resource.get("priorPrescription") or {}).get("reference", "")
            touches_older |= rid == "mr-older" or prior.endswith("mr-older")
            if resource.get("status") in ("stopped", "cancelled", "completed"):
                intake.pop(rid, None)
            else:
                intake[rid] = first_step_daily(resource)
            if prior.endswith("mr-older"):
                intake.pop("mr-older", None)
        ending_older += touches_older
    assert ending_older <= 1, [s.label for s in card.suggestions]
    assert sum(intake.values()) >= 45 - 15, ([s.label for s in card.suggestions], intake)


def test_no_lactose_free_switch_keeps_an_increase_beside_a_contraindication(run: Assess) -> None:
    # 30 -> 45 mg/day with epilepsy and lactose intolerance: the switch keeps the 45 mg/day.
    older = active(BACLOFEN_10, 10, rid="mr-older")
    draft = med_request(BACLOFEN_5, [dosage(15)], prior="mr-older")
    request = hook_request(
        [draft],
        medications=[older],
        conditions=[
            condition(icd10="G40.909", display="Epilepsy"),
            condition(icd10="E73.9", display="Lactose intolerance"),
        ],
    )
    result = run(request)
    found = codes(result)
    assert found.get("contraindication-epilepsy") == "critical"
    lactose = cards_by_code(result).get("excipient-lactose")
    assert lactose is not None
    assert not lactose.suggestions, [s.label for s in lactose.suggestions]


def test_an_intrathecal_cut_in_a_later_step_is_as_abrupt_as_a_first(run: Assess) -> None:
    # 900 mcg/day today; the new order holds 850 for a day, then gives 100.
    draft = med_request(
        BACLOFEN_IT_TEXT,
        [
            dosage(850, "mcg", frequency=1, route=INTRATHECAL, sequence=1, days=1),
            dosage(100, "mcg", frequency=1, route=INTRATHECAL, sequence=2),
        ],
        prior="mr-pump",
    )
    result = run(hook_request([draft], medications=[pump(900, rid="mr-pump")]))
    assert codes(result).get("intrathecal-discontinuation") == "critical"


@pytest.mark.parametrize("where", ["draft", "active"])
def test_a_dose_beyond_any_dose_is_unreadable_not_a_crash(run: Assess, where: str) -> None:
    huge = [dosage(1e303, frequency=1)]
    if where == "draft":
        request = hook_request([med_request(BACLOFEN_10, huge)])
    else:
        older = med_request(BACLOFEN_10, huge, status="active", authored_days_ago=60)
        request = hook_request([med_request(BACLOFEN_10, [dosage(10)])], medications=[older])
    result = run(request)
    assert result.cards, "an unreadable dose must be said, not answered with silence"
