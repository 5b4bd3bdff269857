"""OperationOutcome errors name the field and never echo the input."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from cds_hooks.errors import bad_request, operation_outcome, validation_issues


class Model(BaseModel):
    name: str
    age: int


def test_validation_issues_name_the_field_without_the_value() -> None:
    try:
        Model.model_validate({"age": "Jane Doe 1970-01-01"})
    except ValidationError as error:
        issues = validation_issues(error.errors(), ("context",))
    text = str([issue.to_json() for issue in issues])
    assert "context.name is required" in text
    assert "context.age" in text
    assert "Jane Doe" not in text


def test_operation_outcome_shape() -> None:
    error = bad_request("hook is wrong", "hook")
    assert error.status == 400
    assert error.outcome() == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "invalid",
                "diagnostics": "hook is wrong",
                "expression": ["hook"],
            }
        ],
    }
    assert operation_outcome([]) == {"resourceType": "OperationOutcome", "issue": []}
