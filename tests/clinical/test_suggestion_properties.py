"""Promises that hold for every patient, searched by hypothesis for a counter-example.

For generated patients (age, weight, renal function, conditions, an established oral or
intrathecal dose and product, the hook, and what the prescriber writes), every answer must:

1. never lower the patient's oral daily dose by more than 15 mg/day at once through a
   suggestion;
2. never stop (or end at zero) an intrathecal order through a suggestion, and cut an
   intrathecal dose by at most 20 % of the step before;
3. carry each order's schedule on one card only;
4. keep the limits of the catalogue in every schedule (titration steps, taper steps and
   durations, the patient's ceiling);
5. after any suggestion is accepted and the rules run again, raise no card that the
   suggestion was meant to resolve, and none that a suggestion must never cause.

Examples per run: ``BACLOFEN_CDS_PROPERTY_EXAMPLES`` (default 150 on CI; run longer on
demand, e.g. 5000).
"""

from __future__ import annotations

import copy
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.clinical.knowledge import Knowledge, load_knowledge
from service.pipeline.answer import Answer, answer
from service.pipeline.draft_orders import normalise_draft_orders
from service.present.links import ServiceLinks
from tests.clinical.conftest import case_of
from tests.clinical.suggestion_checks import (
    SELF_INFLICTED,
    STAY_AFTER_A_CHANGE,
    apply_suggestion,
    step_lines,
)
from tests.factories import (
    BACLOFEN_5,
    BACLOFEN_10,
    BACLOFEN_20,
    BACLOFEN_IT_TEXT,
    BACLOFEN_SOLUTION_1,
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

KNOWLEDGE: Knowledge = load_knowledge()
EXAMPLES = int(os.environ.get("BACLOFEN_CDS_PROPERTY_EXAMPLES", "150"))
EPSILON = 1e-6
STOPS = {"stopped", "cancelled", "completed", "on-hold"}

ORAL_PRODUCTS = {
    "5 mg tablets": (BACLOFEN_5, 2.5),
    "10 mg tablets": (BACLOFEN_10, 5.0),
    "20 mg tablets": (BACLOFEN_20, 10.0),
    "1 mg/mL solution": (BACLOFEN_SOLUTION_1, 0.5),
}
CONDITIONS = {
    "parkinsons": condition(snomed="49049000", display="Parkinson's disease"),
    "epilepsy": condition(icd10="G40.909", display="Epilepsy, unspecified"),
    "ckd5": condition(icd10="N18.5", display="Chronic kidney disease, stage 5"),
    "lactose": condition(snomed="190751001", display="Primary lactose intolerance"),
    "copd": condition(icd10="J44.9", display="Chronic obstructive pulmonary disease"),
}


@dataclass
class Scenario:
    request: dict[str, Any]
    age: int
    kg: float | None
    egfr: float | None
    conditions: tuple[str, ...]
    oral_before: float  # the patient's oral intake today, mg/day
    it_before: float  # intrathecal, mcg/day
    it_ids: set[str] = field(default_factory=set)
    oral_active_ids: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:  # what hypothesis prints for a counter-example
        return json.dumps(self.request, indent=1)


def oral_order(product: str, per_dose_units: int, per_day: int, **kw: Any) -> dict[str, Any]:
    concept, unit = ORAL_PRODUCTS[product]
    return med_request(concept, [dosage(per_dose_units * unit, frequency=per_day)], **kw)


def pump_order(mcg: float, **kw: Any) -> dict[str, Any]:
    return med_request(BACLOFEN_IT_TEXT, [dosage(mcg, "mcg", frequency=1, route=INTRATHECAL)], **kw)


def daily_of(resource: dict[str, Any]) -> float:
    line = resource["dosageInstruction"][0]
    return float(
        line["doseAndRate"][0]["doseQuantity"]["value"] * line["timing"]["repeat"]["frequency"]
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    age = draw(st.integers(1, 95))
    kg = draw(st.one_of(st.none(), st.integers(8, 140).map(float)))
    renal = draw(st.one_of(st.none(), st.integers(8, 120).map(float)))
    chosen = tuple(draw(st.sets(st.sampled_from(sorted(CONDITIONS)), max_size=2)))
    hook = draw(st.sampled_from(["order-sign", "order-select", "patient-view"]))
    established = draw(st.sampled_from(["none", "oral", "intrathecal", "both", "two oral"]))

    actives: list[dict[str, Any]] = []
    oral_active_ids: dict[str, float] = {}
    it_ids: set[str] = set()
    product = draw(st.sampled_from(sorted(ORAL_PRODUCTS)))
    if established in ("oral", "both", "two oral"):
        for _ in range(2 if established == "two oral" else 1):
            order = oral_order(
                draw(st.sampled_from(sorted(ORAL_PRODUCTS))),
                draw(st.integers(1, 12)),
                draw(st.integers(1, 4)),
                status=draw(st.sampled_from(["active", "active", "on-hold"])),
                authored_days_ago=draw(st.integers(1, 400)),
            )
            actives.append(order)
            oral_active_ids[order["id"]] = daily_of(order)
    it_before = 0.0
    if established in ("intrathecal", "both"):
        it_before = float(draw(st.sampled_from([50, 100, 150, 300, 500, 800, 1200, 2500])))
        order = pump_order(it_before, status="active", authored_days_ago=draw(st.integers(1, 400)))
        actives.append(order)
        it_ids.add(order["id"])

    drafts: list[dict[str, Any]] = []
    if hook != "patient-view":
        kind = draw(st.sampled_from(["dose", "dose", "stop", "pump", "two doses"]))
        oral_current = [o for o in actives if o["id"] in oral_active_ids]
        if kind in ("dose", "two doses"):
            for index in range(2 if kind == "two doses" else 1):
                prior: str | None = None
                link = draw(st.booleans())
                if index == 0 and oral_current and link:
                    prior = oral_current[0]["id"]
                drafts.append(
                    oral_order(
                        product,
                        draw(st.integers(1, 16)),
                        draw(st.integers(1, 4)),
                        prior=prior,
                    )
                )
        elif kind == "stop" and actives:
            target = draw(st.sampled_from(actives))
            stop = copy.deepcopy(target)
            stop["status"] = draw(st.sampled_from(sorted(STOPS)))
            drafts.append(stop)
            if target["id"] in it_ids:
                it_ids.add(stop["id"])
        elif kind == "pump":
            mcg = float(draw(st.sampled_from([25, 50, 100, 200, 400, 600, 1000, 2200])))
            prior = next(iter(it_ids), None)
            drafts.append(
                pump_order(mcg, prior=prior) if prior is None else pump_order(mcg, rid=prior)
            )
            it_ids.add(drafts[-1]["id"])
        else:
            drafts.append(oral_order(product, 2, 3))

    observations = ([weight(kg)] if kg is not None else []) + (
        [egfr(renal)] if renal is not None else []
    )
    allergies = (
        [allergy(rxnorm_concept("1292", "baclofen"))] if draw(st.integers(0, 9)) == 0 else []
    )
    request = hook_request(
        drafts,
        hook=hook,
        patient_resource=patient(years_ago(age, 30), draw(st.sampled_from(["male", "female"]))),
        medications=actives,
        conditions=[CONDITIONS[c] for c in chosen],
        observations=observations,
        allergies=allergies,
    )
    oral_before = sum(oral_active_ids.values())
    return Scenario(
        request, age, kg, renal, chosen, oral_before, it_before, it_ids, oral_active_ids
    )


def evaluate(request: dict[str, Any]) -> Answer:
    drafts = request["context"].get("draftOrders")
    case = case_of(request, draft_orders=normalise_draft_orders(drafts) if drafts else None)
    return answer(case, KNOWLEDGE, ServiceLinks("https://cds.example.org"))


def ceiling(s: Scenario) -> float:
    """The patient's highest oral daily dose, worked out here from the catalogue's numbers."""
    limit = 100.0
    if s.age < 18:
        bands = {1: 20.0, **dict.fromkeys(range(2, 6), 30.0), **dict.fromkeys(range(6, 11), 60.0)}
        if s.age in bands:
            limit = min(limit, bands[s.age])
        if s.kg is not None:
            if s.age >= 10:
                limit = min(limit, round(2.0 * s.kg, 2))
            limit = min(limit, round(2.5 * s.kg, 2))
    if "ckd5" in s.conditions or (s.egfr is not None and s.egfr < 30):
        limit = min(limit, 5.0)
    elif s.egfr is not None and s.egfr < 60:
        limit = min(limit, 40.0)
    return limit


def slow(s: Scenario) -> bool:
    renal = "ckd5" in s.conditions or (s.egfr is not None and s.egfr < 60)
    return s.age >= 65 or s.age < 12 or renal


def medication_requests(card: Any, suggestion: Any) -> list[tuple[str, dict[str, Any]]]:
    return [
        (action.type.value, action.resource)
        for action in suggestion.actions
        if action.resource is not None
        and action.resource.get("resourceType") == "MedicationRequest"
    ]


def is_intrathecal(resource: dict[str, Any], s: Scenario) -> bool:
    text = str(resource.get("medicationCodeableConcept", {})).lower()
    return resource.get("id") in s.it_ids or "intrathecal" in text


def oral_intake_after(s: Scenario, *suggestions: Any) -> float:
    """Day-one oral intake if the suggestions are accepted together (none: nothing accepted)
    and the drafts are signed as they then stand."""
    drafts = {
        e["resource"]["id"]: e["resource"]
        for e in s.request["context"].get("draftOrders", {}).get("entry", [])
    }
    actives = {
        e["resource"]["id"]: e["resource"] for e in s.request["prefetch"]["medications"]["entry"]
    }
    for action in (action for suggestion in suggestions for action in suggestion.actions):
        resource = action.resource
        if action.type.value == "delete":
            drafts.pop(str(action.resourceId).split("/")[-1], None)
        elif resource is not None and resource.get("resourceType") == "MedicationRequest":
            rid = resource.get("id")
            if rid in actives and rid not in drafts:
                actives[rid] = resource
            else:
                drafts[rid] = resource
    replaced = set(drafts)
    for draft in drafts.values():
        prior = draft.get("priorPrescription", {}).get("reference")
        if prior:
            replaced.add(prior.split("/")[-1])
    signed = [o for rid, o in actives.items() if rid not in replaced] + list(drafts.values())
    total = 0.0
    for order in signed:
        rid = order.get("id")
        if is_intrathecal(order, s):
            continue
        if rid in s.oral_active_ids and order is s_original(s, rid):
            total += s.oral_active_ids[rid]  # untouched: on hold or not, it is the current dose
        elif order.get("status") in STOPS:
            continue
        elif _ours(order) and step_lines(order):
            total += step_lines(order)[0][0]
        else:
            total += daily_of(order)
    return total


def check_no_abrupt_cut(s: Scenario, code: str, suggestion: Any) -> None:
    """Every established oral order the suggestion replaces (a written order naming it as
    priorPrescription, or rewriting it) starts at most 15 mg/day below it; every one it
    stops is so replaced in the same suggestion, unless it gives 15 mg/day or less."""
    written = [
        a.resource
        for a in suggestion.actions
        if a.resource is not None
        and a.resource.get("resourceType") == "MedicationRequest"
        and a.resource.get("status") not in STOPS
    ]
    replaced: dict[str, float] = {}
    for resource in written:
        prior = resource.get("priorPrescription", {}).get("reference", "").split("/")[-1]
        for target in (prior, resource.get("id")):
            if target in s.oral_active_ids and _ours(resource):
                first = step_lines(resource)[0][0]
                replaced[target] = max(replaced.get(target, 0.0), first)
                assert first >= s.oral_active_ids[target] - 15 - EPSILON, (
                    code,
                    suggestion.label,
                    first,
                    s.oral_active_ids[target],
                )
    for action in suggestion.actions:
        resource = action.resource or {}
        rid = resource.get("id")
        if resource.get("status") in STOPS and rid in s.oral_active_ids:
            dose = s.oral_active_ids[rid]
            assert dose <= 15 + EPSILON or rid in replaced, (code, suggestion.label, dose)


def s_original(s: Scenario, rid: str) -> dict[str, Any] | None:
    for entry in s.request["prefetch"]["medications"]["entry"]:
        if entry["resource"]["id"] == rid:
            return entry["resource"]  # type: ignore[no-any-return]
    return None


def _ours(resource: dict[str, Any]) -> bool:
    lines = resource.get("dosageInstruction", [])
    return bool(lines) and all("doseAndRate" in line and "timing" in line for line in lines)


def check_schedule_limits(s: Scenario, resource: dict[str, Any]) -> None:
    lines = step_lines(resource)
    dailies = [daily for daily, _ in lines]
    if len(lines) < 2 and not is_intrathecal(resource, s):
        return
    if is_intrathecal(resource, s):
        assert lines[-1][1] is None, ("an intrathecal schedule never ends", lines)
        previous = s.it_before or dailies[0]
        for daily in dailies:
            assert daily > 0, lines
            if previous > 100:
                assert previous - daily <= 0.2 * previous + EPSILON, lines
            previous = daily
        for _, days in lines[:-1]:
            assert days is not None and days >= 2, lines
        return
    rising = dailies[-1] > dailies[0]
    if rising or lines[-1][1] is None:
        assert lines[-1][1] is None, ("a titration or a taper to a dose ends open", lines)
    else:  # a taper to a stop: 14 to 42 days
        assert 14 <= sum(days or 0 for _, days in lines) <= 42, lines
    if rising:  # a titration
        step = 5.0 if slow(s) else 15.0
        assert dailies[-1] <= ceiling(s) + EPSILON, (dailies, ceiling(s))
        for earlier, later in pairwise(dailies):
            assert 0 < later - earlier <= step + EPSILON, (dailies, step)
        for _, days in lines[:-1]:
            assert days == 3, lines
    else:  # a taper: never up, at most 15 mg/day a step (5 below 15 mg/day), 3+ days a step
        for earlier, later in pairwise(dailies):
            assert later <= earlier + EPSILON, dailies
            assert earlier - later <= (15 if earlier > 15 else 5) + EPSILON, dailies
        for _, days in lines[:-1]:
            assert days is not None and days >= 3, lines


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_every_answer_keeps_the_promises_of_suggestions(s: Scenario) -> None:
    result = evaluate(s.request)
    before = Counter(c.source.topic.code for c in result.cards if c.source.topic)
    as_ordered = oral_intake_after(s)
    carried: dict[str, str] = {}
    for card in result.cards:
        code = card.source.topic.code if card.source.topic else ""
        # 1a. a card's suggestions may be accepted together (selectionBehavior "any"): all
        # of them at once still keep the intake within one cut
        if len(card.suggestions) > 1 and any(
            a.type.value == "delete" for sug in card.suggestions for a in sug.actions
        ):
            after_all = oral_intake_after(s, *card.suggestions)
            floor = min(s.oral_before, as_ordered) - 15 - EPSILON
            assert after_all >= floor, (code, [sug.label for sug in card.suggestions], after_all)
        for suggestion in card.suggestions:
            # 1. no abrupt oral cut: of any established order the suggestion replaces or
            # stops, nor of the patient's total when it removes orders
            check_no_abrupt_cut(s, code, suggestion)
            if any(action.type.value == "delete" for action in suggestion.actions):
                after = oral_intake_after(s, suggestion)
                floor = min(s.oral_before, as_ordered) - 15 - EPSILON
                assert after >= floor, (code, suggestion.label, after, floor)
            for kind, resource in medication_requests(card, suggestion):
                # 2. never a stop of an intrathecal order
                if is_intrathecal(resource, s):
                    assert resource.get("status") not in STOPS, (code, suggestion.label)
                    assert step_lines(resource)[-1][0] > 0, (code, suggestion.label)
                # 3. one schedule per order per answer
                if len(step_lines(resource)) > 1 and _ours(resource):
                    rid = str(resource.get("id"))
                    assert carried.setdefault(rid, code) == code, (rid, carried[rid], code)
                # 4. the limits of the catalogue
                if _ours(resource) and resource.get("status") not in STOPS:
                    check_schedule_limits(s, resource)
                assert kind in ("update", "create")
            for action in suggestion.actions:
                if action.type.value == "delete":
                    assert str(action.resourceId).split("/")[-1] not in s.it_ids
            # 5. accept it and run the rules again
            again_request = apply_suggestion(s.request, suggestion)
            if again_request is None:
                continue
            again = evaluate(again_request)
            fired = Counter(
                c.source.topic.code for c in again.cards if c.source.topic and c.indicator != "info"
            )
            caused = {c for c in SELF_INFLICTED if fired[c] > before[c]}
            assert not caused, (code, suggestion.label, caused)
            if code not in STAY_AFTER_A_CHANGE:  # one order's card fewer: the one it resolved
                assert fired[code] < before[code], (code, suggestion.label, fired)
