"""Medication orders: baclofen orders (draft and active) and the other drugs that interact."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from service.clinical.dosing.daily_dose import order_dose
from service.clinical.dosing.products import (
    ATC,
    RXNORM,
    MedicationResolver,
    medication_concept,
    recognise,
)
from service.clinical.facts.bundles import reference_of, resources
from service.clinical.facts.model import BaclofenOrder, OtherMedication, with_code
from service.clinical.fhir_json import (
    JSON,
    CodingValue,
    as_dict,
    as_list,
    as_str,
    coded_label,
    codings,
    concept_label,
    concept_texts,
    parse_date,
    reference_id,
)
from service.clinical.knowledge import Knowledge

ACTIVE_STATUSES = {"active", "on-hold"}


def medication_index(*containers: Any) -> dict[str, JSON]:
    """Medication resources of the given prefetch values and bundles, by ``Medication/id``."""
    index: dict[str, JSON] = {}
    for container in containers:
        for medication in resources(container, "Medication"):
            reference = reference_of(medication)
            if reference is not None:
                index[reference] = medication
    return index


def resolver_for(request: JSON, index: Mapping[str, JSON]) -> MedicationResolver:
    """Resolve a medicationReference: contained (``#id``) first, then the bundled index."""

    def resolve(reference: str) -> JSON | None:
        if reference.startswith("#"):
            for item in as_list(request.get("contained")):
                contained = as_dict(item)
                if contained is not None and contained.get("id") == reference[1:]:
                    return contained
            return None
        key = reference_id({"reference": reference})
        return index.get(key) if key is not None else None

    return resolve


def baclofen_order(
    request: JSON, index: Mapping[str, JSON], knowledge: Knowledge, *, is_draft: bool
) -> BaclofenOrder | None:
    """The order as a BaclofenOrder, or ``None`` when it does not order baclofen."""
    product = recognise(request, resolver_for(request, index), knowledge)
    if product is None:
        return None
    return BaclofenOrder(
        reference=reference_of(request),
        status=(as_str(request.get("status")) or "unknown").lower(),
        # DSTU2 MedicationOrder (the CDS Hooks sandbox's default server) says dateWritten.
        authored_on=parse_date(request.get("authoredOn") or request.get("dateWritten")),
        product=product,
        dose=order_dose(request, product, knowledge),
        prior_prescription=reference_id(request.get("priorPrescription")),
        resource=request,
        is_draft=is_draft,
    )


def classes_of(
    request: JSON, index: Mapping[str, JSON], knowledge: Knowledge
) -> tuple[frozenset[str], str]:
    """The interacting classes of a (non-baclofen) MedicationRequest, and the name matched."""
    concept, medication = medication_concept(request, resolver_for(request, index))
    concepts: list[Any] = [concept]
    if medication is not None:
        for item in as_list(medication.get("ingredient")):
            ingredient = as_dict(item)
            if ingredient is not None:
                concepts.append(ingredient.get("itemCodeableConcept"))
    texts = tuple(t for c in concepts for t in concept_texts(c))
    all_codings = tuple(x for c in concepts for x in codings(c))
    return knowledge.memo(
        "drug", (all_codings, texts), lambda: _classify_drug(all_codings, texts, knowledge)
    )


def _classify_drug(
    all_codings: tuple[CodingValue, ...], texts: tuple[str, ...], knowledge: Knowledge
) -> tuple[frozenset[str], str]:
    rxnorm = {x.code for x in all_codings if x.system == RXNORM}
    atc = [x.code for x in all_codings if x.system == ATC]
    by_name = knowledge.drug_class_words.find(" | ".join(texts))
    found = set(by_name)
    for drug_class in knowledge.drug_classes:
        if rxnorm & drug_class.rxnorm or any(drug_class.matches_atc(code) for code in atc):
            found.add(drug_class.name)
    matched_name = next(iter(by_name.values()), "")
    return frozenset(found), matched_name


def other_medication(
    request: JSON, index: Mapping[str, JSON], knowledge: Knowledge, *, in_this_session: bool
) -> OtherMedication | None:
    classes, matched_name = classes_of(request, index, knowledge)
    if not classes:
        return None
    concept, _ = medication_concept(request, resolver_for(request, index))
    if concept_texts(concept):
        return OtherMedication(concept_label(concept), classes, in_this_session, matched_name)
    # Recorded by code alone: named by its class, with the code ("lithium (ATC N05AN01)").
    named = knowledge.medications.interacting_classes[sorted(classes)[0]].label
    label = with_code(named, coded_label(concept))
    return OtherMedication(label, classes, in_this_session, matched_name or named)


def active_requests(bundle: Any) -> Iterable[JSON]:
    for request in resources(bundle, "MedicationRequest"):
        if (as_str(request.get("status")) or "").lower() in ACTIVE_STATUSES:
            yield request
