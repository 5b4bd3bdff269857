"""schemathesis against the service's own OpenAPI document, in process, authentication off.

Every operation is called with bodies and parameters generated from the document, valid and
invalid. Each answer must not be a 5xx, must have a documented status and media type, must
match the documented schema, must pass the conformance checker, and must come within
``ANSWER_WITHIN_S``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.app.factory import create_app
from tests.conformance.answers import check_answer
from tests.conftest import make_settings
from tests.fuzz.limits import ANSWER_WITHIN_S, DEAD_FHIR_BASE, examples


def operation_labels() -> list[str]:
    """Every operation of the document, read from an app that is never started."""
    document = create_app(make_settings()).openapi()
    return [
        f"{method.upper()} {path}"
        for path, methods in document["paths"].items()
        for method in methods
    ]


@pytest.fixture
def fuzzed_app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app(fhir_allowed_bases=[DEAD_FHIR_BASE])


def check(case: schemathesis.Case[Any]) -> None:
    started = time.perf_counter()
    response = case.call()
    elapsed = time.perf_counter() - started
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
    check_answer(
        case.method.upper(),
        case.formatted_path,
        response.status_code,
        # schemathesis keeps every header as a list of values
        ",".join(response.headers.get("content-type", [])),
        response.content,
    )
    assert elapsed < ANSWER_WITHIN_S, f"{case.method} {case.formatted_path}: {elapsed:.2f} s"


# schemathesis' own pytest integration (from_fixture) does not run on pytest 9, so its
# strategies drive a plain hypothesis test per operation.
@pytest.mark.parametrize("label", operation_labels())
def test_operation(fuzzed_app: FastAPI, label: str) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app).find_operation_by_label(
        label
    )
    assert operation is not None, label
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=examples(40),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def fuzz(case: schemathesis.Case[Any]) -> None:
        check(case)

    try:
        fuzz()
    finally:
        shutdown_lifespans()
