"""A corrected dose keeps every limit, not only the one of the card that offers it.

Each dose rule knows its own limit (the paediatric band, the renal cap, mg/kg); accepting its
suggestion must not fire another card's limit.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.clinical.conftest import Assess
from tests.factories import (
    BACLOFEN_5,
    BACLOFEN_10,
    dosage,
    egfr,
    hook_request,
    med_request,
    patient,
    weight,
    years_ago,
)


def one_step_daily(resource: dict[str, Any]) -> float | None:
    """The daily total of a one-step dose change (None for a schedule)."""
    instructions = resource.get("dosageInstruction", [])
    if any("boundsDuration" in d.get("timing", {}).get("repeat", {}) for d in instructions):
        return None
    return float(
        sum(
            d["doseAndRate"][0]["doseQuantity"]["value"] * d["timing"]["repeat"]["frequency"]
            for d in instructions
        )
    )


def request(age: int, kg: float, egfr_value: float, draft: float, active: float | None) -> Any:
    product = BACLOFEN_10 if draft >= 30 else BACLOFEN_5
    medications = []
    prior = None
    if active is not None:
        medications = [
            med_request(
                product, [dosage(active / 3)], status="active", authored_days_ago=10, rid="mr-a"
            )
        ]
        prior = "mr-a"
    order = med_request(product, [dosage(draft / 3)], prior=prior)
    return hook_request(
        [order],
        patient_resource=patient(years_ago(age)),
        medications=medications,
        observations=[weight(kg), egfr(egfr_value)],
    )


@pytest.mark.parametrize(
    ("age", "kg", "egfr_value", "draft", "active", "ceiling"),
    [
        (8, 25, 45, 80, 40, 40),  # the renal cap is below the 2.5 mg/kg limit (62.5)
        (8, 25, 45, 60, None, 40),
        (5, 18, 45, 60, None, 30),  # the band for 4-7 years is below the renal cap
        (5, 18, 45, 45, 30, 30),
        (40, 80, 45, 120, 60, 40),  # adult: the renal cap is below the 100 mg/day maximum
        (70, 60, 20, 30, 15, 5),  # severe renal impairment: 5 mg/day if it must continue
    ],
)
def test_no_suggested_dose_exceeds_the_patients_ceiling(
    run: Assess,
    age: int,
    kg: float,
    egfr_value: float,
    draft: float,
    active: float | None,
    ceiling: float,
) -> None:
    assessment = run(request(age, kg, egfr_value, draft, active))
    checked = 0
    for card in assessment.cards:
        labels = [s.label for s in card.suggestions or []]
        assert len(labels) == len(set(labels)), f"{card.source.topic}: {labels}"
        for suggestion in card.suggestions or []:
            for action in suggestion.actions or []:
                if not isinstance(action.resource, dict):
                    continue
                daily = one_step_daily(action.resource)
                if daily is not None and action.resource.get("resourceType") == "MedicationRequest":
                    checked += 1
                    assert daily <= ceiling + 1e-9, f"{suggestion.label} on {card.summary}"
    assert checked or any(card.suggestions for card in assessment.cards)
