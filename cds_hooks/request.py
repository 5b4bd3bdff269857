"""The CDS Hooks 2.0.1 request and the context of the hooks this package knows.

Parsing is strict about what the specification makes REQUIRED and tolerant of everything else:
real clients add fields (Epic's ``extension`` keys, the sandbox's extras), and the service must
not refuse them. FHIR resources inside the context stay plain JSON here; checking them as FHIR
is the application's job, because only it knows which resource types it expects.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from cds_hooks.wire import WireModel

# "Type/id" as the hook library defines userId and selections (invariant ord-1).
# Matched whole (fullmatch): "$" would also accept a trailing newline.
_REFERENCE = re.compile(r"[A-Z][A-Za-z]{1,63}/[A-Za-z0-9\-.]{1,256}")


class _Received(WireModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class FhirAuthorization(_Received):
    """``fhirAuthorization``: the OAuth 2.0 token the service may use against ``fhirServer``.

    The token is transient: it must never be stored or logged. ``repr`` hides it so that an
    accidental log of the model cannot leak it.
    """

    access_token: str = Field(min_length=1, repr=False)
    token_type: str = "Bearer"
    expires_in: int | None = None
    scope: str | None = None
    subject: str | None = None
    patient: str | None = None


class HookRequest(_Received):
    hook: str = Field(min_length=1)
    hookInstance: str = Field(min_length=1, max_length=256)
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None
    extension: dict[str, Any] | None = None


class _Context(_Received):
    # userId is kept as sent: clients have shipped malformed ones ("Practitioner/Practitioner/1",
    # cds-hooks/docs#410) and refusing the whole call for that would help nobody. The user
    # prefetch tokens are derived only from a well-formed value (see ``prefetch``).
    userId: str = Field(min_length=1)
    patientId: str = Field(min_length=1, max_length=256)
    encounterId: str | None = None

    @field_validator("patientId")
    @classmethod
    def _patient_is_id(cls, value: str) -> str:
        # The value is substituted into prefetch queries, so only FHIR id characters are
        # allowed. FHIR caps ids at 64 characters; some EHRs exceed that, so we do not.
        if not re.fullmatch(r"[A-Za-z0-9\-.]{1,256}", value):
            raise ValueError("patientId must be a FHIR id (letters, digits, '-' and '.')")
        return value


class PatientViewContext(_Context):
    """``patient-view``: the chart of ``patientId`` was opened."""


class OrderSignContext(_Context):
    """``order-sign``: ``draftOrders`` (a Bundle) are about to be signed."""

    draftOrders: dict[str, Any]


class OrderSelectContext(_Context):
    """``order-select``: the orders named in ``selections`` were picked among ``draftOrders``."""

    selections: list[str] = Field(min_length=1)
    draftOrders: dict[str, Any]

    @field_validator("selections")
    @classmethod
    def _selections_are_references(cls, value: list[str]) -> list[str]:
        for index, item in enumerate(value):
            if not _REFERENCE.fullmatch(item):
                # The value is not quoted back: answers never echo what the caller sent.
                raise ValueError(f"selection {index} is not a reference such as Type/id")
        return value


HookContext = PatientViewContext | OrderSignContext | OrderSelectContext

CONTEXT_MODELS: dict[str, type[HookContext]] = {
    "patient-view": PatientViewContext,
    "order-sign": OrderSignContext,
    "order-select": OrderSelectContext,
}
