"""Assemble the facts of one hook call: the patient, and each baclofen order to evaluate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from service.clinical.dosing.products import medication_concept
from service.clinical.facts.bundles import reference_of, resources
from service.clinical.facts.conditions import allergy_facts, condition_facts
from service.clinical.facts.medications import (
    active_requests,
    baclofen_order,
    medication_index,
    other_medication,
    resolver_for,
)
from service.clinical.facts.model import BaclofenOrder, OrderContext, PatientFacts
from service.clinical.facts.observations import observation_facts
from service.clinical.facts.patient import age_of, sex_of
from service.clinical.facts.renal import renal_function
from service.clinical.fhir_json import JSON, as_dict, as_str
from service.clinical.knowledge import Knowledge
from service.clinical.trigger import Trigger

_IGNORED_DRAFT_STATUSES = {"entered-in-error"}
_NOT_ADDED_STATUSES = {"stopped", "cancelled", "completed", "entered-in-error"}


@dataclass(frozen=True)
class HookFacts:
    patient: PatientFacts
    orders: tuple[OrderContext, ...]
    # Draft orders whose medication cannot be identified at all (no code, no text, an
    # unresolvable reference): they might be baclofen, so the checks say they could not run.
    unidentified: tuple[str, ...] = ()
    # Baclofen orders beyond MAX_ORDERS_PER_CALL: not evaluated, and the answer says so.
    not_evaluated: int = 0


# No real ordering session holds more baclofen orders; a request with thousands would make
# the answer (and the work) grow with them. The rest are counted on a data-missing card.
MAX_ORDERS_PER_CALL = 20


def _most_recent(orders: Sequence[BaclofenOrder]) -> BaclofenOrder | None:
    return max(orders, key=lambda o: o.authored_on or date.min, default=None)


def _context_for(
    draft: BaclofenOrder,
    active: Sequence[BaclofenOrder],
    siblings: tuple[BaclofenOrder, ...],
    *,
    history_known: bool,
) -> OrderContext:
    if not history_known:
        # Whether this order starts or changes therapy is unknown: never assume a start.
        return OrderContext(draft, None, (), siblings, history_known=False)
    # A draft replaces the order its priorPrescription names, or re-signs the one with its id.
    replaced = [
        o
        for o in active
        if o.reference is not None
        and (o.reference == draft.prior_prescription or o.reference == draft.reference)
    ]
    if replaced:
        current = replaced[0]
        remaining = tuple(o for o in active if o is not current)
        return OrderContext(draft, current, remaining, siblings)
    # Nothing replaced: the active order of the same route is still the dose this one changes,
    # and every active order stays on top of it (duplicate therapy).
    same_route = [o for o in active if o.route is draft.route]
    return OrderContext(draft, _most_recent(same_route), tuple(active), siblings)


def _with_start_groups(contexts: Sequence[OrderContext]) -> tuple[OrderContext, ...]:
    """New starts of one route in one call are one start: each context knows its group."""
    groups: dict[object, tuple[BaclofenOrder, ...]] = {}
    for context in contexts:
        if context.is_new_start and not context.order.is_stop:
            route = context.order.route
            groups[route] = (*groups.get(route, ()), context.order)
    return tuple(
        replace(context, start_group=groups.get(context.order.route, ()))
        if context.is_new_start and not context.order.is_stop
        else context
        for context in contexts
    )


def build_facts(
    *,
    today: date,
    patient_id: str,
    prefetch: Mapping[str, Any],
    unavailable: Mapping[str, str],
    knowledge: Knowledge,
    draft_orders: Any = None,
    selections: Sequence[str] | None = None,
    trigger: Trigger = Trigger.ORDER_WRITTEN,
) -> HookFacts:
    """Facts for the rules.

    ``prefetch`` maps each prefetch key to its value (``None`` when known to be empty);
    ``unavailable`` names the keys that could not be obtained and why. When a chart is
    opened (``Trigger.CHART_OPENED``) the patient's active baclofen orders are evaluated;
    otherwise the baclofen orders among ``draft_orders`` (only ``selections`` when given).
    """
    patient = as_dict(prefetch.get("patient"))
    index = medication_index(draft_orders, prefetch.get("medications"))

    # The drafts first: with no baclofen order among them the answer is empty, and the rest
    # of the record need not be read at all (most calls, since EHRs call for every order).
    drafts: list[BaclofenOrder] = []
    other_drafts: list[JSON] = []
    unidentified: list[str] = []
    wanted = set(selections) if selections is not None else None
    for request in resources(draft_orders):
        if request.get("resourceType") not in ("MedicationRequest", "MedicationOrder"):
            continue
        status = (as_str(request.get("status")) or "").lower()
        if status in _IGNORED_DRAFT_STATUSES:
            continue
        reference = reference_of(request)
        order = baclofen_order(request, index, knowledge, is_draft=True)
        if (
            order is None
            and (wanted is None or reference in wanted)
            and _unidentifiable(request, index)
        ):
            unidentified.append(reference or "a draft MedicationRequest without id")
            continue
        if order is None:
            if status not in _NOT_ADDED_STATUSES:
                other_drafts.append(request)
            continue
        if wanted is None or reference in wanted:
            drafts.append(order)
    drafts = _without_replaced_stops(drafts)
    not_evaluated = max(0, len(drafts) - MAX_ORDERS_PER_CALL)
    drafts = drafts[:MAX_ORDERS_PER_CALL]
    if not trigger.reviews_active_orders and not drafts:
        return HookFacts(
            _empty_patient(today, patient_id, unavailable), (), tuple(unidentified), not_evaluated
        )

    active: list[BaclofenOrder] = []
    others = []
    for request in active_requests(prefetch.get("medications")):
        order = baclofen_order(request, index, knowledge, is_draft=False)
        if order is not None:
            active.append(order)
        else:
            other = other_medication(request, index, knowledge, in_this_session=False)
            if other is not None:
                others.append(other)
    if trigger.reviews_active_orders and not active:
        return HookFacts(
            _empty_patient(today, patient_id, unavailable), (), tuple(unidentified), not_evaluated
        )
    for request in other_drafts:
        other = other_medication(request, index, knowledge, in_this_session=True)
        if other is not None:
            others.append(other)

    observations = observation_facts(prefetch.get("observations"), knowledge, today)
    age, sex = age_of(patient, today), sex_of(patient)
    facts = PatientFacts(
        today=today,
        patient_id=patient_id,
        age=age,
        sex=sex,
        weight=observations.weight,
        stale_weight=observations.stale_weight,
        renal=renal_function(
            observations.renal, observations.creatinine, age, sex, observations.weight, knowledge
        ),
        last_renal_test=observations.last_renal_test,
        conditions=condition_facts(prefetch.get("conditions"), knowledge),
        allergies=allergy_facts(prefetch.get("allergies"), knowledge),
        other_medications=tuple(others),
        active_baclofen=tuple(active),
        last_hepatic_test=observations.last_hepatic_test,
        last_glucose_test=observations.last_glucose_test,
        pregnancy=observations.pregnancy,
        lactation=observations.lactation,
        unavailable=dict(unavailable),
    )

    if trigger.reviews_active_orders:
        not_evaluated = max(0, len(active) - MAX_ORDERS_PER_CALL)
        active = active[:MAX_ORDERS_PER_CALL]
        # The active order is the established therapy: its own dose is the current dose, so
        # a correction starts from it (a taper for a large cut), never from a new start.
        contexts = tuple(
            OrderContext(
                order, order, tuple(o for o in active if o is not order), tuple(active[:i])
            )
            for i, order in enumerate(active)
        )
    else:
        history_known = "medications" not in unavailable
        contexts = _with_start_groups(
            [
                _context_for(
                    draft,
                    active,
                    tuple(d for d in drafts[:i] if not d.is_stop),
                    history_known=history_known,
                )
                for i, draft in enumerate(drafts)
            ]
        )
    return HookFacts(facts, contexts, tuple(unidentified), not_evaluated)


def _without_replaced_stops(drafts: list[BaclofenOrder]) -> list[BaclofenOrder]:
    """Drafts less the stops that are one half of a replacement: an EHR that modifies an
    order sends the old one stopped and the new one naming it as priorPrescription. The new
    draft is judged against the old order; the stop is not a discontinuation of its own."""
    replaced = {
        d.prior_prescription for d in drafts if not d.is_stop and d.prior_prescription is not None
    }
    if not replaced:
        return drafts
    return [d for d in drafts if not (d.is_stop and d.reference in replaced)]


def _unidentifiable(request: Mapping[str, Any], index: Mapping[str, Any]) -> bool:
    if (
        request.get("resourceType") != "MedicationRequest"
        and request.get("resourceType") != "MedicationOrder"
    ):
        return False
    concept, medication = medication_concept(request, resolver_for(request, index))
    return concept is None and medication is None


def _empty_patient(today: date, patient_id: str, unavailable: Mapping[str, str]) -> PatientFacts:
    # ``unavailable`` is kept: a chart whose medication list could not be read shows no
    # active order, and must still say so (rules/data.py, ``unchecked``).
    return PatientFacts(
        today=today,
        patient_id=patient_id,
        age=None,
        sex=None,
        weight=None,
        stale_weight=None,
        renal=None,
        last_renal_test=None,
        conditions=(),
        allergies=(),
        other_medications=(),
        active_baclofen=(),
        last_hepatic_test=None,
        last_glucose_test=None,
        pregnancy=None,
        lactation=None,
        unavailable=dict(unavailable),
    )
