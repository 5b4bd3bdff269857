"""Prefetch templates: the 2.0 tokens, percent-encoding, and unresolvable tokens."""

from __future__ import annotations

import pytest

from cds_hooks.prefetch import (
    UnresolvableTokenError,
    render_template,
    template_tokens,
    validate_template,
)

CONTEXT = {"patientId": "123", "userId": "PractitionerRole/pr-9", "encounterId": "e 1"}


def test_context_tokens_are_substituted() -> None:
    assert render_template("Patient/{{context.patientId}}", CONTEXT) == "Patient/123"


def test_values_are_percent_encoded() -> None:
    assert render_template("Encounter/{{context.encounterId}}", CONTEXT) == "Encounter/e%201"


@pytest.mark.parametrize(
    ("token", "expected"),
    [("userPractitionerRoleId", "pr-9"), ("userPractitionerId", None), ("userPatientId", None)],
)
def test_user_tokens_follow_the_type_of_user_id(token: str, expected: str | None) -> None:
    template = "X/{{" + token + "}}"
    if expected is None:
        with pytest.raises(UnresolvableTokenError, match=token):
            render_template(template, CONTEXT)
    else:
        assert render_template(template, CONTEXT) == f"X/{expected}"


def test_missing_or_non_primitive_context_values_are_unresolvable() -> None:
    with pytest.raises(UnresolvableTokenError):
        render_template("{{context.selections}}", {"selections": ["a"]})
    with pytest.raises(UnresolvableTokenError):
        render_template("{{context.encounterId}}", {})


def test_tokens_listed_and_validated() -> None:
    assert template_tokens("A?p={{context.patientId}}&u={{ userPractitionerId }}") == [
        "context.patientId",
        "userPractitionerId",
    ]
    validate_template("Patient/{{context.patientId}}")
    with pytest.raises(ValueError, match="not allowed"):
        validate_template("{{context.draftOrders.entry}}")
    with pytest.raises(ValueError, match="not allowed"):
        validate_template("{{today()}}")
