"""JSON Schemas (draft 2020-12) of the CDS Hooks 2.0.1 messages, written for this project.

HL7 publishes no JSON Schema for CDS Hooks 2.0, so these are written from the specification's
text. The OpenAPI document of the service is built from them (``service/api/openapi.py``) and
the tests check every answer against them (``tests/conformance``).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

RESPONSE = "cds-hooks-response-2.0.1"
REQUEST = "cds-hooks-request-2.0.1"
DISCOVERY = "cds-hooks-discovery-2.0.1"
FEEDBACK = "cds-hooks-feedback-2.0.1"
FEEDBACK_RECEIPT = "feedback-receipt"
OPERATION_OUTCOME = "operation-outcome"


@functools.cache
def _text(name: str) -> str:
    return resources.files(__package__).joinpath(f"{name}.schema.json").read_text("utf-8")


def load(name: str) -> dict[str, Any]:
    """A fresh copy of one schema, safe to modify."""
    schema: dict[str, Any] = json.loads(_text(name))
    return schema
