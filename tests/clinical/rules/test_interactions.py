"""Interacting drug classes by RxNorm ingredient, RxNorm product, ATC and ingredient name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.clinical.conftest import Assess, cards_by_code
from tests.factories import BACLOFEN_10, dosage, drug, hook_request, med_request

Fired = Callable[..., dict[str, str]]

# rule -> ways of naming one drug of the class: (display, rxnorm, atc)
CASES: dict[str, list[tuple[str, str | None, str | None]]] = {
    "interaction-opioid": [
        ("tramadol", "10689", None),
        ("tramadol hydrochloride 50 MG Oral Tablet", "835603", None),
        ("", None, "N02AA05"),
        ("oxycodone 5 mg tablet", None, None),
    ],
    "interaction-benzodiazepine": [
        ("lorazepam", "6470", None),
        ("", None, "N05BA06"),
        ("Diazepam 5mg tab", None, None),
    ],
    "interaction-cns-depressant": [
        ("gabapentin", "25480", None),
        ("", None, "N05CF02"),
        ("quetiapine 25 mg", None, None),
    ],
    "interaction-tricyclic": [
        ("amitriptyline", "704", None),
        ("", None, "N06AA09"),
        ("nortriptyline 10 mg", None, None),
    ],
    "interaction-levodopa": [
        ("levodopa", "6375", None),
        ("", None, "N04BA02"),
        ("Sinemet 25/100", None, None),
    ],
    "interaction-antihypertensive": [
        ("lisinopril", "29046", None),
        ("", None, "C09AA03"),
        ("amlodipine 5 mg", None, None),
    ],
    "interaction-antigout": [
        ("allopurinol", "519", None),
        ("", None, "M04AA01"),
        ("colchicine 0.6 mg", None, None),
    ],
}
INDICATOR = {
    "interaction-cns-depressant": "info",
    "interaction-antihypertensive": "info",
    "interaction-antigout": "info",
}


def with_active(concept: dict[str, Any], status: str = "active") -> dict[str, Any]:
    other = med_request(concept, [dosage(1, "tablet")], status=status, authored_days_ago=60)
    return hook_request([med_request(BACLOFEN_10, [dosage(5)])], medications=[other])


@pytest.mark.parametrize(
    ("rule", "display", "rxnorm", "atc"),
    [(rule, *case) for rule, cases in sorted(CASES.items()) for case in cases],
)
def test_each_way_of_naming_the_drug(
    fired: Fired, rule: str, display: str, rxnorm: str | None, atc: str | None
) -> None:
    # Codes alone (no display), or text alone: real EHR data mixes them.
    concept = drug("", rxnorm=rxnorm, atc=atc) if (rxnorm or atc) else drug("", text=display)
    assert fired(with_active(concept)).get(rule) == INDICATOR.get(rule, "warning")


def test_on_hold_counts_stopped_does_not(fired: Fired) -> None:
    tramadol = drug("tramadol", rxnorm="10689")
    assert "interaction-opioid" in fired(with_active(tramadol, status="on-hold"))
    assert "interaction-opioid" not in fired(with_active(tramadol, status="stopped"))


def test_non_sedating_antihistamine_and_lithium_are_not_cns_depressants(fired: Fired) -> None:
    for concept in (
        drug("", atc="R06AX13"),
        drug("", text="loratadine 10 mg"),
        drug("", atc="N05AN01"),
    ):
        assert "interaction-cns-depressant" not in fired(with_active(concept))


def test_one_card_per_class_naming_every_drug(run: Assess) -> None:
    opioids = [
        med_request(drug("morphine", rxnorm="7052"), [dosage(1, "tablet")], status="active"),
        med_request(drug("oxycodone", rxnorm="7804"), [dosage(1, "tablet")], status="active"),
    ]
    result = run(hook_request([med_request(BACLOFEN_10, [dosage(5)])], medications=opioids))
    card = cards_by_code(result)["interaction-opioid"]
    assert "morphine and oxycodone" in card.summary
    assert [c.source.topic.code for c in result.cards if c.source.topic].count(
        "interaction-opioid"
    ) == 1


def test_an_opioid_ordered_in_the_same_session_counts(fired: Fired) -> None:
    tramadol = med_request(
        drug("tramadol 50 MG Oral Tablet", rxnorm="835603"), [dosage(1, "tablet")]
    )
    assert fired(hook_request([med_request(BACLOFEN_10, [dosage(5)]), tramadol])).get(
        "interaction-opioid"
    )


def test_medication_reference_to_a_bundled_medication(fired: Fired) -> None:
    medication = {
        "resourceType": "Medication",
        "id": "med-9",
        "code": drug("fentanyl", rxnorm="4337"),
    }
    other = med_request(
        medication_reference="Medication/med-9", dosages=[dosage(1, "tablet")], status="active"
    )
    request = hook_request([med_request(BACLOFEN_10, [dosage(5)])], medications=[other])
    request["prefetch"]["medications"]["entry"].append({"resource": medication})
    assert fired(request)["interaction-opioid"] == "warning"
