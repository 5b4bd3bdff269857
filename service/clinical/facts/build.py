"""Assemble the facts of one hook call: the patient, and each baclofen order to evaluate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from service.clinical.case import ClinicalCase
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
from service.clinical.facts.model import (
    BaclofenOrder,
    OrderContext,
    OtherMedication,
    PatientFacts,
)
from service.clinical.facts.observations import observation_facts
from service.clinical.facts.patient import age_of, sex_of
from service.clinical.facts.renal import renal_function
from service.clinical.fhir_json import JSON, as_dict, as_str
from service.clinical.knowledge import Knowledge
from service.clinical.records import RecordKind

_ORDER_TYPES = ("MedicationRequest", "MedicationOrder")
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


@dataclass
class _Drafts:
    """The draft orders of the call, sorted by what becomes of them."""

    baclofen: list[BaclofenOrder] = field(default_factory=list)  # judged (when selected)
    others: list[JSON] = field(default_factory=list)  # other medicines added this session
    unidentified: list[str] = field(default_factory=list)  # might be baclofen: not checked


def build_facts(case: ClinicalCase, knowledge: Knowledge) -> HookFacts:
    """Facts for the rules.

    When a chart is opened (``Trigger.CHART_OPENED``) the patient's active baclofen orders
    are evaluated; otherwise the baclofen orders among the case's draft orders (only its
    selections when given).
    """
    medications = case.records.get(RecordKind.MEDICATIONS)
    index = medication_index(case.draft_orders, medications)

    # The drafts first: with no baclofen order among them the answer is empty, and the rest
    # of the record need not be read at all (most calls, since EHRs call for every order).
    drafts = _read_drafts(case, index, knowledge)
    baclofen = _without_replaced_stops(drafts.baclofen)
    not_evaluated = max(0, len(baclofen) - MAX_ORDERS_PER_CALL)
    baclofen = baclofen[:MAX_ORDERS_PER_CALL]
    reviewing = case.trigger.reviews_active_orders
    if not reviewing and not baclofen:
        return HookFacts(_empty_patient(case), (), tuple(drafts.unidentified), not_evaluated)

    active, others = _read_active(medications, index, knowledge)
    if reviewing and not active:
        return HookFacts(_empty_patient(case), (), tuple(drafts.unidentified), not_evaluated)
    for request in drafts.others:
        other = other_medication(request, index, knowledge, in_this_session=True)
        if other is not None:
            others.append(other)

    patient = _patient_facts(case, knowledge, active, others)
    if reviewing:
        return _active_orders_facts(patient, active, tuple(drafts.unidentified))
    contexts = _draft_contexts(
        baclofen, active, history_known=RecordKind.MEDICATIONS not in case.unavailable
    )
    return HookFacts(patient, contexts, tuple(drafts.unidentified), not_evaluated)


def _read_drafts(case: ClinicalCase, index: Mapping[str, Any], knowledge: Knowledge) -> _Drafts:
    drafts = _Drafts()
    wanted = set(case.selections) if case.selections is not None else None
    for request in resources(case.draft_orders):
        if request.get("resourceType") not in _ORDER_TYPES:
            continue
        status = (as_str(request.get("status")) or "").lower()
        if status in _IGNORED_DRAFT_STATUSES:
            continue
        reference = reference_of(request)
        chosen = wanted is None or reference in wanted
        order = baclofen_order(request, index, knowledge, is_draft=True)
        if order is not None:
            if chosen:
                drafts.baclofen.append(order)
        elif chosen and _unidentifiable(request, index):
            drafts.unidentified.append(reference or "a draft MedicationRequest without id")
        elif status not in _NOT_ADDED_STATUSES:
            drafts.others.append(request)
    return drafts


def _read_active(
    medications: Any, index: Mapping[str, Any], knowledge: Knowledge
) -> tuple[list[BaclofenOrder], list[OtherMedication]]:
    """The patient's active baclofen orders, and the other medicines of the medication list."""
    active: list[BaclofenOrder] = []
    others: list[OtherMedication] = []
    for request in active_requests(medications):
        order = baclofen_order(request, index, knowledge, is_draft=False)
        if order is not None:
            active.append(order)
            continue
        other = other_medication(request, index, knowledge, in_this_session=False)
        if other is not None:
            others.append(other)
    return active, others


def _patient_facts(
    case: ClinicalCase,
    knowledge: Knowledge,
    active: Sequence[BaclofenOrder],
    others: Sequence[OtherMedication],
) -> PatientFacts:
    records, today = case.records, case.today
    patient = as_dict(records.get(RecordKind.PATIENT))
    observations = observation_facts(records.get(RecordKind.OBSERVATIONS), knowledge, today)
    age, sex = age_of(patient, today), sex_of(patient)
    return PatientFacts(
        today=today,
        patient_id=case.patient_id,
        age=age,
        sex=sex,
        weight=observations.weight,
        stale_weight=observations.stale_weight,
        renal=renal_function(
            observations.renal, observations.creatinine, age, sex, observations.weight, knowledge
        ),
        last_renal_test=observations.last_renal_test,
        conditions=condition_facts(records.get(RecordKind.CONDITIONS), knowledge),
        allergies=allergy_facts(records.get(RecordKind.ALLERGIES), knowledge),
        other_medications=tuple(others),
        active_baclofen=tuple(active),
        last_hepatic_test=observations.last_hepatic_test,
        last_glucose_test=observations.last_glucose_test,
        pregnancy=observations.pregnancy,
        lactation=observations.lactation,
        unavailable=dict(case.unavailable),
    )


def _active_orders_facts(
    patient: PatientFacts, active: Sequence[BaclofenOrder], unidentified: tuple[str, ...]
) -> HookFacts:
    """A chart opened: each active order is reviewed as it stands."""
    not_evaluated = max(0, len(active) - MAX_ORDERS_PER_CALL)
    active = active[:MAX_ORDERS_PER_CALL]
    # The active order is the established therapy: its own dose is the current dose, so a
    # correction starts from it (a taper for a large cut), never from a new start.
    contexts = tuple(
        OrderContext(order, order, tuple(o for o in active if o is not order), tuple(active[:i]))
        for i, order in enumerate(active)
    )
    return HookFacts(patient, contexts, unidentified, not_evaluated)


def _draft_contexts(
    drafts: Sequence[BaclofenOrder], active: Sequence[BaclofenOrder], *, history_known: bool
) -> tuple[OrderContext, ...]:
    """An order written: each draft is judged against the therapy it starts or changes."""
    return _with_start_groups(
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
    concept, medication = medication_concept(request, resolver_for(request, index))
    return concept is None and medication is None


def _empty_patient(case: ClinicalCase) -> PatientFacts:
    # ``unavailable`` is kept: a chart whose medication list could not be read shows no
    # active order, and must still say so (rules/data.py, ``unchecked``).
    return PatientFacts(
        today=case.today,
        patient_id=case.patient_id,
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
        unavailable=dict(case.unavailable),
    )
