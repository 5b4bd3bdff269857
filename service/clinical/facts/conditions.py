"""Conditions (by ICD-10-CM prefix, SNOMED code or text) and allergies to baclofen."""

from __future__ import annotations

from typing import Any

from service.clinical.dosing.products import names_baclofen
from service.clinical.facts.bundles import resources
from service.clinical.facts.model import AllergyFact, ClinicalStatus, ConditionFact
from service.clinical.fhir_json import (
    JSON,
    CodingValue,
    as_dict,
    as_str,
    coded_label,
    codings,
    concept_label,
    concept_texts,
    parse_date,
    status_code,
)
from service.clinical.knowledge import Knowledge, normalise_icd

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


def _classify_icd(code: str, knowledge: Knowledge) -> tuple[set[str], set[str]]:
    """(value sets, history value sets) of one ICD-10-CM code, by prefix lookups."""
    normal = normalise_icd(code)
    included: set[str] = set()
    excluded: set[str] = set()
    history: set[str] = set()
    for length in range(1, len(normal) + 1):
        for name, role in knowledge.icd_index.get(normal[:length], ()):
            {"include": included, "exclude": excluded, "history": history}[role].add(name)
    matched = included - excluded
    return matched, history & matched


def classify_condition(concept: Any, knowledge: Knowledge) -> tuple[frozenset[str], frozenset[str]]:
    """(value sets the concept belongs to, value sets for which it always means history).

    The same codes come back in record after record (hypertension, diabetes...): the answer
    for a given set of codings and texts is memoised on the knowledge it was computed with.
    """
    key = (codings(concept), concept_texts(concept))
    return knowledge.memo("condition", key, lambda: _classify(key[0], key[1], knowledge))


def _classify(
    concept_codings: tuple[CodingValue, ...], texts: tuple[str, ...], knowledge: Knowledge
) -> tuple[frozenset[str], frozenset[str]]:
    icd_systems, snomed_systems = knowledge.condition_systems
    matched: set[str] = set()
    history: set[str] = set()
    for coding in concept_codings:
        if not coding.code:
            continue
        if coding.system in icd_systems:
            names, history_names = _classify_icd(coding.code, knowledge)
            matched |= names
            history |= history_names
        elif coding.system in snomed_systems:
            matched |= knowledge.snomed_index.get(coding.code, frozenset())
    # Each text on its own: joined, a display after a long ``text`` fell beyond the length
    # bound of the patterns and went unread.
    for text in texts:
        matched |= _named_in(text, matched, knowledge)
    return frozenset(matched), frozenset(history)


def _named_in(text: str, known: set[str], knowledge: Knowledge) -> set[str]:
    """The value sets a condition's text names, beyond those already ``known``."""
    if not text or (knowledge.negations is not None and knowledge.negations.search(text)):
        return set()
    named: set[str] = set()
    for name in knowledge.condition_words.find(text):
        if name in known:
            continue
        # "Not pregnant", "febrile convulsions": the excluded phrase is taken out, and the
        # value set counts only if its words are still found in what is left.
        exclusions = knowledge.value_sets[name].exclude_words
        if (
            exclusions is not None
            and exclusions.search(text)
            and name not in knowledge.condition_words.find(exclusions.sub(" ", text))
        ):
            continue
        named.add(name)
    return named


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
        # A code alone is named by its value set ("Breastfeeding"), and shown with the code.
        label = concept_label(concept, "")
        if not concept_texts(concept):
            label = knowledge.conditions.value_sets[sorted(matched)[0]].label
        code = coded_label(concept)
        # A code that itself means "history of" counts as history whatever its status says.
        for name in matched & history:
            facts.append(
                ConditionFact(label, ClinicalStatus.HISTORY, frozenset({name}), recorded, code)
            )
        current = matched - history
        if current:
            facts.append(ConditionFact(label, status, current, recorded, code))
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
            code = allergy.get("code")
            label = concept_label(code) if concept_texts(code) else "baclofen"
            facts.append(AllergyFact(label, as_str(verification), coded_label(code)))
    return tuple(facts)
