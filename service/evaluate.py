"""One pipeline for HTTP and the command line alike.

request JSON → checked CDS Hooks request → prefetch resolved → facts → rules → cards.
Every refusal is a ``CdsHooksError`` carrying the OperationOutcome that explains it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from cds_hooks.errors import (
    CdsHooksError,
    bad_request,
    not_found,
    precondition_failed,
    validation_issues,
)
from cds_hooks.request import CONTEXT_MODELS, HookRequest, OrderSelectContext
from cds_hooks.resolution import (
    DEFAULT_MAX_PAGES,
    Fetcher,
    is_operation_outcome,
    resolve_prefetch,
)
from cds_hooks.response import CdsResponse
from service.caller import Caller
from service.clinical.assess import assess
from service.clinical.cards import rule_codes
from service.clinical.knowledge import Knowledge
from service.draft_orders import normalise_draft_orders, references_in
from service.services import SERVICES, CdsService, prefetch_templates

log = logging.getLogger("baclofen_cds.evaluate")

# What each prefetch key must hold when it holds anything.
_EXPECTED_TYPES = {
    "patient": "Patient",
    "medications": "Bundle",
    "conditions": "Bundle",
    "observations": "Bundle",
    "allergies": "Bundle",
}

FetcherFactory = Callable[[HookRequest, Caller], Fetcher | None]


@dataclass(frozen=True)
class ClinicalInputs:
    """What the clinical core was given for one call: kept so that an answer can be explained
    (``baclofen-cds evaluate --explain``)."""

    today: date
    patient_id: str
    prefetch: Mapping[str, Any]  # resolved: sent or fetched, key by key
    unavailable: Mapping[str, str]  # key -> why it could not be obtained
    draft_orders: Any
    selections: list[str] | None
    patient_view: bool


@dataclass
class EvaluationResult:
    response: CdsResponse
    service: CdsService
    hook_instance: str
    rule_codes: list[str]
    evaluation_ms: float
    fetched: list[str] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    inputs: ClinicalInputs | None = None
    sent: list[str] = field(default_factory=list)  # prefetch keys the client sent


@dataclass
class PatientUnobtainable(CdsHooksError):
    """412: no Patient. Carries what the call's access line reports: the hookInstance and the
    prefetch keys fetched and missing (names only)."""

    hook_instance: str = ""
    fetched: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)


def _check_prefetch_shapes(prefetch: Mapping[str, Any] | None, patient_id: str) -> None:
    if prefetch is None:
        return
    for key, expected in _EXPECTED_TYPES.items():
        if key not in prefetch or prefetch[key] is None:
            continue
        value = prefetch[key]
        if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
            raise bad_request(f"prefetch.{key} must be a FHIR resource or null", f"prefetch.{key}")
        resource_type = value["resourceType"]
        if resource_type not in (expected, "OperationOutcome"):
            raise bad_request(
                f"prefetch.{key} must be a {expected} or an OperationOutcome, not {resource_type}",
                f"prefetch.{key}.resourceType",
            )
        if resource_type == "Bundle" and "entry" in value and not isinstance(value["entry"], list):
            raise bad_request(f"prefetch.{key}.entry must be a list", f"prefetch.{key}.entry")
    patient = prefetch.get("patient")
    # Advice computed on another patient's record is the worst possible answer.
    if (
        isinstance(patient, dict)
        and patient.get("resourceType") == "Patient"
        and patient.get("id") not in (None, patient_id)
    ):
        raise bad_request(
            f"prefetch.patient is Patient {_shown_id(patient.get('id'))} but context.patientId "
            f"is {_shown_id(patient_id)}: advice on another patient's record is refused. Send "
            "the Patient of context.patientId in prefetch.patient (or leave prefetch.patient "
            "out for it to be fetched), or set context.patientId to the prefetched Patient's id",
            "prefetch.patient.id",
        )


# A FHIR id (R4 "id" type): safe to quote back to the client that sent it, and short.
_FHIR_ID = re.compile(r"[A-Za-z0-9.-]{1,64}")


def _shown_id(value: Any) -> str:
    """An id quoted for an error message, or what it is when it is no FHIR id at all."""
    if isinstance(value, str) and _FHIR_ID.fullmatch(value):
        return repr(value)
    return "(not a FHIR id)"


class Evaluator:
    def __init__(
        self,
        knowledge: Knowledge,
        *,
        base_url: str,
        clock: Callable[[], date],
        fetcher_factory: FetcherFactory | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self.knowledge = knowledge
        self.base_url = base_url
        self.clock = clock
        self.fetcher_factory = fetcher_factory
        self.max_pages = max_pages
        self.templates = prefetch_templates(knowledge)

    def service(self, service_id: str) -> CdsService:
        service = SERVICES.get(service_id)
        if service is None:
            raise not_found(f"no CDS service with id {service_id!r}")
        return service

    def parse(self, service: CdsService, body: Any) -> tuple[HookRequest, Any]:
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object", code="structure")
        try:
            request = HookRequest.model_validate(body)
        except ValidationError as error:
            raise CdsHooksError(400, validation_issues(error.errors())) from None
        if request.hook != service.hook:
            raise bad_request(
                f"service {service.id} answers the {service.hook} hook, not {request.hook!r}",
                "hook",
            )
        try:
            context = CONTEXT_MODELS[service.hook].model_validate(request.context)
        except ValidationError as error:
            raise CdsHooksError(400, validation_issues(error.errors(), ("context",))) from None
        if request.fhirAuthorization is not None and not request.fhirServer:
            raise bad_request("fhirServer is required when fhirAuthorization is sent", "fhirServer")
        _check_prefetch_shapes(request.prefetch, context.patientId)
        return request, context

    async def evaluate(
        self, service_id: str, body: Any, caller: Caller | None = None
    ) -> EvaluationResult:
        """Evaluate one hook call. ``caller`` defaults to an unauthenticated local caller."""
        caller = caller or Caller.unauthenticated([])
        service = self.service(service_id)
        request, context = self.parse(service, body)

        draft_orders = None
        selections = None
        if not service.patient_view:
            draft_orders = normalise_draft_orders(context.draftOrders)
            if isinstance(context, OrderSelectContext):
                selections = list(context.selections)
                unknown = set(selections) - references_in(draft_orders)
                if unknown:
                    raise bad_request(
                        "context.selections names orders that are not in context.draftOrders: "
                        + ", ".join(sorted(unknown)),
                        "context.selections",
                    )

        fetcher = self.fetcher_factory(request, caller) if self.fetcher_factory else None
        outcome = await resolve_prefetch(
            self.templates,
            request.prefetch,
            context.model_dump(),
            fetcher,
            max_pages=self.max_pages,
        )
        if "patient" in outcome.unavailable or outcome.values.get("patient") is None:
            reason = outcome.unavailable.get("patient", "the client sent null: no such patient")
            refusal = precondition_failed(
                f"the Patient resource is required and could not be obtained: {reason}",
                "prefetch.patient",
            )
            raise PatientUnobtainable(
                refusal.status,
                list(refusal.issues),
                hook_instance=request.hookInstance,
                fetched=list(outcome.fetched),
                unavailable=sorted(outcome.unavailable),
            )

        inputs = ClinicalInputs(
            today=self.clock(),
            patient_id=context.patientId,
            prefetch=outcome.values,
            unavailable=outcome.unavailable,
            draft_orders=draft_orders,
            selections=selections,
            patient_view=service.patient_view,
        )
        started = time.perf_counter()
        assessment = assess(
            knowledge=self.knowledge,
            today=inputs.today,
            patient_id=inputs.patient_id,
            prefetch=inputs.prefetch,
            unavailable=inputs.unavailable,
            base_url=self.base_url,
            draft_orders=inputs.draft_orders,
            selections=inputs.selections,
            patient_view=inputs.patient_view,
        )
        elapsed = (time.perf_counter() - started) * 1000
        response = CdsResponse(cards=assessment.cards)
        return EvaluationResult(
            response=response,
            service=service,
            hook_instance=request.hookInstance,
            rule_codes=rule_codes(assessment.cards),
            evaluation_ms=elapsed,
            fetched=outcome.fetched,
            unavailable=outcome.unavailable,
            inputs=inputs,
            sent=sorted(
                key
                for key, value in (request.prefetch or {}).items()
                if key in self.templates and not is_operation_outcome(value)
            ),
        )
