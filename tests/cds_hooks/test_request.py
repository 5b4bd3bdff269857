"""Requests: what is required is enforced, what real clients add is tolerated."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cds_hooks.request import (
    CONTEXT_MODELS,
    FhirAuthorization,
    HookRequest,
    OrderSelectContext,
)


def test_minimal_request_parses_and_keeps_unknown_fields() -> None:
    request = HookRequest.model_validate(
        {"hook": "patient-view", "hookInstance": "abc", "context": {}, "com.epic.x": 1}
    )
    assert request.prefetch is None
    assert request.model_extra == {"com.epic.x": 1}


@pytest.mark.parametrize("missing", ["hook", "hookInstance", "context"])
def test_required_fields(missing: str) -> None:
    body = {"hook": "patient-view", "hookInstance": "abc", "context": {}}
    del body[missing]
    with pytest.raises(ValidationError, match=missing):
        HookRequest.model_validate(body)


def test_access_token_is_hidden_from_repr() -> None:
    auth = FhirAuthorization(access_token="secret-token-value", token_type="Bearer")
    assert "secret-token-value" not in repr(auth)


def test_each_hook_has_a_context_model() -> None:
    assert set(CONTEXT_MODELS) == {"patient-view", "order-sign", "order-select"}


def test_order_select_needs_selections_as_references() -> None:
    base = {"userId": "Practitioner/1", "patientId": "p1", "draftOrders": {}}
    with pytest.raises(ValidationError, match="selections"):
        OrderSelectContext.model_validate(base)
    with pytest.raises(ValidationError, match="not a reference"):
        OrderSelectContext.model_validate({**base, "selections": ["not a reference"]})
    ok = OrderSelectContext.model_validate({**base, "selections": ["MedicationRequest/a-1"]})
    assert ok.selections == ["MedicationRequest/a-1"]


@pytest.mark.parametrize("patient_id", ["p 1", "p/1", "p&x=1", ""])
def test_patient_id_cannot_smuggle_query_syntax(patient_id: str) -> None:
    with pytest.raises(ValidationError):
        CONTEXT_MODELS["patient-view"].model_validate(
            {"userId": "Practitioner/1", "patientId": patient_id}
        )
