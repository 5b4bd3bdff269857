"""Intrathecal baclofen: route, ceilings (1000/2000 mcg, 300 under 12), discontinuation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.factories import (
    BACLOFEN_10,
    BACLOFEN_IT_TEXT,
    INTRATHECAL,
    ORAL,
    dosage,
    hook_request,
    med_request,
    patient,
    weight,
    years_ago,
)

Fired = Callable[..., dict[str, str]]


def pump(
    mcg: float, age: int = 45, status: str = "draft", prior: str | None = None
) -> dict[str, Any]:
    return med_request(
        BACLOFEN_IT_TEXT,
        [dosage(mcg, "mcg", frequency=1, route=INTRATHECAL)],
        status=status,
        prior=prior,
    )


def request_for(
    draft: dict[str, Any], age: int = 45, active: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return hook_request(
        [draft],
        patient_resource=patient(years_ago(age)),
        medications=active,
        observations=[weight(30 if age < 12 else 70)],
    )


@pytest.mark.parametrize(
    ("mcg", "age", "indicator"),
    [
        (1000, 45, None),
        (1001, 45, "warning"),
        (2000, 45, "warning"),
        (2001, 45, "critical"),
        (300, 10, None),
        (301, 10, "warning"),
        (301, 12, None),
    ],
)
def test_dose_ceilings(fired: Fired, mcg: float, age: int, indicator: str | None) -> None:
    assert fired(request_for(pump(mcg), age=age)).get("intrathecal-dose-high") == indicator


def test_intrathecal_product_by_mouth(fired: Fired) -> None:
    draft = med_request(BACLOFEN_IT_TEXT, [dosage(900, "mcg", frequency=1, route=ORAL)])
    assert fired(request_for(draft))["intrathecal-route"] == "critical"


def test_oral_product_intrathecally(fired: Fired) -> None:
    draft = med_request(BACLOFEN_10, [dosage(10, frequency=1, route=INTRATHECAL)])
    assert fired(request_for(draft))["intrathecal-route"] == "critical"


def test_rxnorm_intrathecal_product_without_route_is_fine(fired: Fired) -> None:
    concept = {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1047437"}]
    }
    draft = med_request(concept, [dosage(500, "mcg", frequency=1, route=None)])
    codes = fired(request_for(draft))
    assert "intrathecal-route" not in codes and "intrathecal-dose-high" not in codes


@pytest.mark.parametrize(("after", "fires"), [(450, False), (449, True)])
def test_cut_of_more_than_half(fired: Fired, after: float, fires: bool) -> None:
    active = pump(900, status="active")
    codes = fired(request_for(pump(after, prior=active["id"]), active=[active]))
    assert (codes.get("intrathecal-discontinuation") == "critical") is fires


def test_stopping_intrathecal_is_critical(fired: Fired) -> None:
    active = pump(900, status="active")
    codes = fired(request_for(pump(900, status="stopped", prior=active["id"]), active=[active]))
    assert codes == {"intrathecal-discontinuation": "critical"}


def test_intrathecal_increase_is_not_oral_titration(fired: Fired) -> None:
    active = pump(600, status="active")
    codes = fired(request_for(pump(900, prior=active["id"]), active=[active]))
    assert "titration-too-fast" not in codes and "abrupt-discontinuation" not in codes
