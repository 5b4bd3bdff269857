"""Conditions (by ICD-10-CM prefix, SNOMED code or text) and allergies to baclofen."""

from __future__ import annotations

from typing import Any

from service.clinical.dosing.products import names_baclofen
from service.clinical.facts.bundles import resources
from service.clinical.facts.model import AllergyFact, ClinicalStatus, ConditionFact
from service.clinical.fhir_json import (
    JSON,
    as_dict,
    as_str,
    codings,
    concept_label,
    concept_texts,
    parse_date,
    status_code,
)
from service.clinical.knowledge import Knowledge

_ACTIVE = {"active", "recurrence", "relapse"}
_HISTORY = {"resolved", "inactive", "remission"}
_REFUTED = {"refuted", "entered-in-error"}


def _status(condition: JSON) -> ClinicalStatus | None:
    code = status_code(condition.get("clinicalStatus"))
    if code is None or code in _ACTIVE:
        # An abatement date without a status means the condition has ended.
        if code is None and (
            condition.get("abatementDateTime") or condition.get("abatementPeriod")
        ):
            return ClinicalStatus.HISTORY
        return ClinicalStatus.ACTIVE
    if code in _HISTORY:
        return ClinicalStatus.HISTORY
    return None


def classify_condition(concept: Any, knowledge: Knowledge) -> tuple[frozenset[str], frozenset[str]]:
    """(value sets the concept belongs to, value sets for which it always means history)."""
    systems = knowledge.conditions.systems
    icd_systems, snomed_systems = set(systems["icd10cm"]), set(systems["snomed"])
    texts = concept_texts(concept)
    negated = knowledge.negations is not None and any(knowledge.negations.search(t) for t in texts)
    matched: set[str] = set()
    history: set[str] = set()
    for name, value_set in knowledge.value_sets.items():
        for coding in codings(concept):
            if not coding.code:
                continue
            if coding.system in icd_systems and value_set.matches_icd(coding.code):
                matched.add(name)
                if value_set.icd_is_history(coding.code):
                    history.add(name)
            elif coding.system in snomed_systems and coding.code in value_set.snomed:
                matched.add(name)
        if name not in matched and not negated and any(value_set.matches_text(t) for t in texts):
            matched.add(name)
    return frozenset(matched), frozenset(history)


def condition_facts(bundle: Any, knowledge: Knowledge) -> tuple[ConditionFact, ...]:
    facts = []
    for condition in resources(bundle, "Condition"):
        if status_code(condition.get("verificationStatus")) in _REFUTED:
            continue
        status = _status(condition)
        if status is None:
            continue
        concept = condition.get("code")
        matched, history = classify_condition(concept, knowledge)
        if not matched:
            continue
        recorded = parse_date(condition.get("onsetDateTime")) or parse_date(
            condition.get("recordedDate")
        )
        label = concept_label(concept)
        # A code that itself means "history of" counts as history whatever its status says.
        for name in matched & history:
            facts.append(ConditionFact(label, ClinicalStatus.HISTORY, frozenset({name}), recorded))
        current = matched - history
        if current:
            facts.append(ConditionFact(label, status, current, recorded))
    return tuple(facts)


def allergy_facts(bundle: Any, knowledge: Knowledge) -> tuple[AllergyFact, ...]:
    """Allergies and intolerances to baclofen (any verification but refuted/entered-in-error)."""
    facts = []
    for allergy in resources(bundle, "AllergyIntolerance"):
        verification = status_code(allergy.get("verificationStatus"))
        if verification in _REFUTED:
            continue
        if status_code(allergy.get("clinicalStatus")) == "resolved":
            continue
        concepts = [allergy.get("code")]
        for reaction in allergy.get("reaction") or []:
            reaction_dict = as_dict(reaction)
            if reaction_dict is not None:
                concepts.append(reaction_dict.get("substance"))
        if any(names_baclofen(concept, knowledge) for concept in concepts if concept is not None):
            label = concept_label(allergy.get("code"))
            facts.append(AllergyFact(label, as_str(verification)))
    return tuple(facts)
