"""Errors as FHIR OperationOutcome, the body CDS Hooks 3.0 asks for on every non-2xx answer.

Each error names the problem (``diagnostics``) and, where there is one, the place in the request
(``expression``), and never echoes request values: those may be patient data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome issue. ``code`` is from the FHIR issue-type value set."""

    diagnostics: str
    code: str = "invalid"
    severity: str = "error"
    expression: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            issue["expression"] = list(self.expression)
        return issue


def operation_outcome(issues: Sequence[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [issue.to_json() for issue in issues]}


@dataclass
class CdsHooksError(Exception):
    """An answer other than 200, with the issues that explain it."""

    status: int
    issues: list[Issue] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status}: " + "; ".join(issue.diagnostics for issue in self.issues)

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(self.issues)


def bad_request(diagnostics: str, *expression: str, code: str = "invalid") -> CdsHooksError:
    return CdsHooksError(400, [Issue(diagnostics, code=code, expression=expression)])


def not_found(diagnostics: str) -> CdsHooksError:
    return CdsHooksError(404, [Issue(diagnostics, code="not-found")])


def precondition_failed(diagnostics: str, *expression: str) -> CdsHooksError:
    return CdsHooksError(412, [Issue(diagnostics, code="incomplete", expression=expression)])


def payload_too_large(limit_bytes: int) -> CdsHooksError:
    return CdsHooksError(
        413, [Issue(f"request body is larger than {limit_bytes} bytes", code="too-costly")]
    )


def service_unavailable(diagnostics: str, retry_after_s: int) -> CdsHooksError:
    """503: a dependency is down; the client should send the same request again later."""
    return CdsHooksError(
        503, [Issue(diagnostics, code="transient")], headers={"Retry-After": str(retry_after_s)}
    )


def unauthorized() -> CdsHooksError:
    # Best practice: a 401 says nothing about why, so it teaches an attacker nothing.
    return CdsHooksError(
        401, [Issue("unauthorized", code="login")], headers={"WWW-Authenticate": "Bearer"}
    )


def validation_issues(errors: Sequence[Any], prefix: tuple[str, ...] = ()) -> list[Issue]:
    """Turn pydantic ``ValidationError.errors()`` into issues that name the field.

    ``input`` values are deliberately dropped: they can be patient data.
    """
    issues = []
    for error in errors:
        location = prefix + tuple(str(part) for part in error.get("loc", ()))
        path = ".".join(location) if location else "(body)"
        kind = error.get("type", "")
        if kind in ("missing", "model_field_validation.missing"):
            message = f"{path} is required"
            code = "required"
        else:
            message = f"{path}: {_clean_message(str(error.get('msg', 'invalid value')))}"
            code = "invalid" if kind != "extra_forbidden" else "structure"
        issues.append(Issue(message, code=code, expression=(path,) if location else ()))
    return issues


def _clean_message(message: str) -> str:
    # pydantic prefixes messages from our validators with "Value error, "; it adds nothing.
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
