"""Is this medication baclofen, and which product: form, tablet strength or concentration.

Evidence is read in order of reliability: a known RxNorm product code, then a Medication
resource's structured form and ingredient strength, then the words of the code text and
displays ("baclofen 10 MG Oral Tablet", "Gablofen 2000 mcg/mL"). Real orders carry any mix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from service.clinical.dosing.units import UnitKind, quantity_value, unit_of
from service.clinical.fhir_json import (
    JSON,
    as_dict,
    as_list,
    as_str,
    codings,
    concept_label,
    concept_texts,
)
from service.clinical.knowledge import Knowledge
from service.clinical.text import BoundedPattern

MedicationResolver = Callable[[str], JSON | None]

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"

# Linear patterns: a number is read only where it starts (not inside a longer run of digits),
# its digits and the spaces around units are bounded, and no two quantifiers can share the
# same characters. Texts are bounded too (``service.clinical.text``).
_NUMBER = r"(?<![\d.])(\d{1,7}(?:\.\d{1,6})?)"
_CONCENTRATION = BoundedPattern.compile(
    _NUMBER + r"\s{0,3}(mg|mcg|ug|µg|microgram|micrograms|milligram|milligrams)\s{0,3}/\s{0,3}"
    r"(?:(\d{1,7}(?:\.\d{1,6})?)\s{0,3})?(ml|milliliter|millilitre)\b",
    re.IGNORECASE,
)
_STRENGTH = BoundedPattern.compile(
    _NUMBER + r"\s{0,3}(mg|mcg|ug|µg|milligram|milligrams)\b(?!\s{0,3}/)", re.IGNORECASE
)
_MCG = {"mcg", "ug", "µg", "microgram", "micrograms"}


class Form(StrEnum):
    TABLET = "tablet"
    LIQUID = "liquid"
    GRANULES = "granules"
    INTRATHECAL = "intrathecal"
    UNKNOWN = "unknown"

    @property
    def is_oral(self) -> bool:
        return self in (Form.TABLET, Form.LIQUID, Form.GRANULES)


@dataclass(frozen=True)
class Product:
    """A recognised baclofen product."""

    form: Form
    label: str
    strength_mg: float | None = None  # per tablet, capsule or packet
    concentration_mg_per_ml: float | None = None
    rxnorm: str | None = None

    @property
    def is_intrathecal(self) -> bool:
        return self.form is Form.INTRATHECAL


def _mg(value: float, unit: str) -> float:
    return value / 1000 if unit.lower() in _MCG else value


def _strengths_from_text(texts: Iterable[str]) -> tuple[float | None, float | None]:
    """(strength in mg, concentration in mg/mL) read from product texts."""
    for text in texts:
        match = _CONCENTRATION.search(text)
        if match:
            per_volume = float(match.group(3)) if match.group(3) else 1.0
            if per_volume > 0:
                return None, _mg(float(match.group(1)), match.group(2)) / per_volume
    for text in texts:
        match = _STRENGTH.search(text)
        if match:
            return _mg(float(match.group(1)), match.group(2)), None
    return None, None


def _strengths_from_medication(
    medication: JSON, knowledge: Knowledge
) -> tuple[float | None, float | None]:
    """(strength in mg, concentration in mg/mL) from Medication.ingredient[].strength."""
    for item in as_list(medication.get("ingredient")):
        ingredient = as_dict(item)
        if ingredient is None:
            continue
        concept = ingredient.get("itemCodeableConcept")
        if concept is not None and not names_baclofen(concept, knowledge):
            continue
        ratio = as_dict(ingredient.get("strength"))
        if ratio is None:
            continue
        numerator, denominator = ratio.get("numerator"), ratio.get("denominator")
        amount, amount_unit = quantity_value(numerator), unit_of(numerator)
        if amount is None or amount_unit is None or amount_unit.kind is not UnitKind.MASS:
            continue
        amount_mg = amount * amount_unit.factor
        per = quantity_value(denominator) if denominator is not None else 1.0
        per_unit = unit_of(denominator) if denominator is not None else None
        if per is None or per <= 0:
            continue
        if per_unit is not None and per_unit.kind is UnitKind.VOLUME:
            return None, amount_mg / (per * per_unit.factor)
        return amount_mg / per, None
    return None, None


def product_of_code(rxnorm: str, knowledge: Knowledge) -> Product:
    """A product of the knowledge base by its RxNorm code (a schedule's substitute tablets)."""
    known = knowledge.medications.baclofen.products[rxnorm]
    return Product(
        Form(known.form), known.display, known.strength_mg, known.concentration_mg_per_ml, rxnorm
    )


def names_baclofen(concept: Any, knowledge: Knowledge) -> bool:
    baclofen = knowledge.medications.baclofen
    codes = baclofen.ingredient_codes
    for coding in codings(concept):
        if coding.system == RXNORM and coding.code in knowledge.baclofen_codes:
            return True
        if coding.system == SNOMED and coding.code in codes.snomed:
            return True
        if coding.system == ATC and coding.code.upper() in codes.atc:
            return True
    return any(knowledge.baclofen_names.search(text) for text in concept_texts(concept))


def _form_from_words(texts: Iterable[str], knowledge: Knowledge) -> Form:
    texts = tuple(texts)
    for form, pattern in knowledge.product_form_words:
        if any(pattern.search(text) for text in texts):
            return Form(form)
    return Form.UNKNOWN


def medication_concept(request: JSON, resolve: MedicationResolver) -> tuple[Any, JSON | None]:
    """The medication CodeableConcept of a MedicationRequest, and its Medication if referenced."""
    concept = request.get("medicationCodeableConcept")
    if concept is not None:
        return concept, None
    reference = as_dict(request.get("medicationReference"))
    if reference is None:
        return None, None
    ref = as_str(reference.get("reference"))
    medication = resolve(ref) if ref is not None else None
    if medication is None:
        # An unresolvable reference may still carry a display ("baclofen 10 mg tablet").
        display = as_str(reference.get("display"))
        return ({"text": display} if display else None), None
    return medication.get("code"), medication


def recognise(request: JSON, resolve: MedicationResolver, knowledge: Knowledge) -> Product | None:
    """The baclofen product a MedicationRequest orders, or ``None`` when it is not baclofen."""
    concept, medication = medication_concept(request, resolve)
    if medication is None:
        # A coded concept alone decides the product: the same codes recur in every record.
        key = (codings(concept), concept_texts(concept))
        return knowledge.memo("product", key, lambda: _recognise(concept, None, knowledge))
    return _recognise(concept, medication, knowledge)


def _recognise(concept: Any, medication: JSON | None, knowledge: Knowledge) -> Product | None:
    if not _is_baclofen(concept, medication, knowledge):
        return None
    texts = list(concept_texts(concept))
    if medication is not None:
        texts += concept_texts(medication.get("form"))
    rxnorm_codes = [c.code for c in codings(concept) if c.system == RXNORM]
    known = _known_product(rxnorm_codes, texts, knowledge)
    described = known or _described_product(rxnorm_codes, texts, medication, knowledge)
    form, strength, concentration = described
    rxnorm = next((code for code in rxnorm_codes if code), None)
    return Product(form, concept_label(concept), strength, concentration, rxnorm)


def _is_baclofen(concept: Any, medication: JSON | None, knowledge: Knowledge) -> bool:
    """Named baclofen by its code or text, or by an ingredient of its Medication."""
    if concept is not None and names_baclofen(concept, knowledge):
        return True
    if medication is None:
        return False
    ingredients = [as_dict(item) for item in as_list(medication.get("ingredient"))]
    return any(
        names_baclofen(item.get("itemCodeableConcept"), knowledge)
        for item in ingredients
        if item is not None
    )


# What a product is: (form, strength in mg, concentration in mg/mL).
_Described = tuple[Form, float | None, float | None]


def _known_product(
    rxnorm_codes: list[str], texts: list[str], knowledge: Knowledge
) -> _Described | None:
    """A product of the knowledge base, by the first of its codes that is one."""
    products = knowledge.medications.baclofen.products
    known = next((products[code] for code in rxnorm_codes if code in products), None)
    if known is None:
        return None
    strength, concentration = known.strength_mg, known.concentration_mg_per_ml
    if strength is None and concentration is None:
        strength, concentration = _strengths_from_text(texts)
    return Form(known.form), strength, concentration


def _described_product(
    rxnorm_codes: list[str], texts: list[str], medication: JSON | None, knowledge: Knowledge
) -> _Described:
    """A product read from its Medication and its words, when no code of it is known."""
    form = _form_from_words(texts, knowledge)
    if any(code in knowledge.medications.baclofen.intrathecal_codes for code in rxnorm_codes):
        form = Form.INTRATHECAL
    strength, concentration = None, None
    if medication is not None:
        strength, concentration = _strengths_from_medication(medication, knowledge)
    if strength is None and concentration is None:
        strength, concentration = _strengths_from_text(texts)
    if form is Form.UNKNOWN and concentration is not None:
        form = Form.LIQUID  # an amount per volume is a liquid, whatever its words
    return form, strength, concentration
