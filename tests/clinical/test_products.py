"""Which baclofen product an order names: codes, Medication resources and words, in that order."""

from __future__ import annotations

from typing import Any

import pytest

from service.clinical.dosing.products import Form, Product, recognise
from service.clinical.knowledge import Knowledge
from tests.factories import RXNORM, med_request


def rxnorm(code: str, display: str = "") -> dict[str, Any]:
    return {"system": RXNORM, "code": code, **({"display": display} if display else {})}


def product_of(concept: dict[str, Any], knowledge: Knowledge) -> Product | None:
    return recognise(med_request(concept), lambda _: None, knowledge)


def product_of_medication(medication: dict[str, Any], knowledge: Knowledge) -> Product | None:
    request = med_request(medication_reference="Medication/m1")
    return recognise(request, lambda ref: medication if ref == "Medication/m1" else None, knowledge)


def test_a_known_code_decides_the_product(knowledge: Knowledge) -> None:
    concept = {"coding": [rxnorm("197391", "baclofen 10 MG Oral Tablet")], "text": "Lioresal 25 mg"}
    assert product_of(concept, knowledge) == Product(
        Form.TABLET, "Lioresal 25 mg", 10, None, "197391"
    )


def test_a_known_code_without_a_strength_reads_it_from_the_text(knowledge: Knowledge) -> None:
    concept = {"coding": [rxnorm("666857")], "text": "Kemstro 20 mg ODT"}
    product = product_of(concept, knowledge)
    assert product is not None
    assert (product.form, product.strength_mg, product.rxnorm) == (Form.TABLET, 20, "666857")


def test_the_first_known_code_wins_and_rxnorm_is_the_first_code(knowledge: Knowledge) -> None:
    concept = {"coding": [rxnorm("1292"), rxnorm("250976"), rxnorm("197391")]}
    product = product_of(concept, knowledge)
    assert product is not None
    assert (product.form, product.concentration_mg_per_ml, product.rxnorm) == (
        Form.LIQUID,
        1,
        "1292",
    )


def test_an_intrathecal_code_makes_it_intrathecal(knowledge: Knowledge) -> None:
    concept = {"coding": [rxnorm("308516")], "text": "baclofen 2000 mcg/mL oral tablet"}
    product = product_of(concept, knowledge)
    assert product is not None
    assert (product.form, product.concentration_mg_per_ml) == (Form.INTRATHECAL, 2)


@pytest.mark.parametrize(
    ("text", "form", "strength", "concentration"),
    [
        ("baclofen 5 mg/5 mL", Form.LIQUID, None, 1),  # a concentration means a liquid
        ("baclofen 10 mg", Form.UNKNOWN, 10, None),
        ("baclofen", Form.UNKNOWN, None, None),
        ("baclofen 10 mg oral suspension", Form.LIQUID, 10, None),
    ],
)
def test_products_from_words(
    knowledge: Knowledge,
    text: str,
    form: Form,
    strength: float | None,
    concentration: float | None,
) -> None:
    product = product_of({"text": text}, knowledge)
    assert product is not None
    assert (product.form, product.strength_mg, product.concentration_mg_per_ml) == (
        form,
        strength,
        concentration,
    )
    assert product.label == text and product.rxnorm is None


def medication(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "Medication", "id": "m1", **fields}


def ingredient(name: str, numerator: tuple[float, str], denominator: tuple[float, str]) -> Any:
    return {
        "itemCodeableConcept": {"text": name},
        "strength": {
            "numerator": {"value": numerator[0], "unit": numerator[1], "code": numerator[1]},
            "denominator": {
                "value": denominator[0],
                "unit": denominator[1],
                "code": denominator[1],
            },
        },
    }


def test_a_medication_named_only_by_its_ingredient(knowledge: Knowledge) -> None:
    found = medication(
        code={"text": "Spasticity solution"},
        ingredient=[ingredient("baclofen", (10, "mg"), (5, "mL"))],
    )
    product = product_of_medication(found, knowledge)
    assert product is not None
    assert (product.form, product.concentration_mg_per_ml, product.label) == (
        Form.LIQUID,
        2,
        "Spasticity solution",
    )


def test_a_medication_of_another_drug_is_not_baclofen(knowledge: Knowledge) -> None:
    found = medication(
        code={"text": "Tizanidine"},
        ingredient=[None, ingredient("tizanidine", (4, "mg"), (1, "{tbl}"))],
    )
    assert product_of_medication(found, knowledge) is None


def test_a_medication_without_code_or_ingredient_is_not_baclofen(knowledge: Knowledge) -> None:
    assert product_of_medication(medication(), knowledge) is None


def test_the_medication_form_counts_as_words(knowledge: Knowledge) -> None:
    found = medication(code={"text": "baclofen 10 mg"}, form={"text": "Oral tablet"})
    product = product_of_medication(found, knowledge)
    assert product is not None and (product.form, product.strength_mg) == (Form.TABLET, 10)


def test_the_medication_strength_comes_before_the_words(knowledge: Knowledge) -> None:
    found = medication(
        code={"text": "baclofen 10 mg tablet"},
        ingredient=[ingredient("baclofen", (20, "mg"), (1, "{tbl}"))],
    )
    product = product_of_medication(found, knowledge)
    assert product is not None and (product.form, product.strength_mg) == (Form.TABLET, 20)


def test_a_known_code_on_a_medication(knowledge: Knowledge) -> None:
    found = medication(code={"coding": [rxnorm("2593376")]}, form={"text": "tablet"})
    product = product_of_medication(found, knowledge)
    assert product is not None
    assert (product.form, product.concentration_mg_per_ml) == (Form.LIQUID, 5)


@pytest.mark.parametrize(
    "concept", [{"text": "tizanidine 4 mg"}, {"coding": [rxnorm("310965")]}, {}]
)
def test_other_concepts_are_not_baclofen(knowledge: Knowledge, concept: dict[str, Any]) -> None:
    assert product_of(concept, knowledge) is None
