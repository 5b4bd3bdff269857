"""One pipeline for HTTP and the command line alike.

request JSON → checked CDS Hooks request → prefetch resolved → facts → rules → cards.
Every refusal is a ``CdsHooksError`` carrying the OperationOutcome that explains it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from pydantic import ValidationError

from cds_hooks.errors import (
    CdsHooksError,
    Issue,
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
from service.auth.caller import Caller
from service.clinical.case import ClinicalCase
from service.clinical.knowledge import Knowledge
from service.clinical.trigger import Trigger
from service.observability.card_record import CardRecord
from service.pipeline.answer import answer
from service.pipeline.draft_orders import normalise_draft_orders, references_in
from service.pipeline.services import (
    PATIENT_KEY,
    PREFETCH_KEYS,
    SERVICES,
    CdsService,
    by_record_kind,
    prefetch_templates,
)
from service.present.links import ServiceLinks
from service.present.schedule_codec import LinkSigner

log = logging.getLogger("baclofen_cds.evaluate")

_Result = TypeVar("_Result")

DEFAULT_TIME_BUDGET_S = 5.0
# Threads the CPU-bound work runs on. The GIL lets one run at a time; several keep one slow
# evaluation from holding up the others, and the event loop (health probes, other calls,
# FHIR fetches) keeps its turn however long an evaluation takes.
EVALUATION_THREADS = 4

# What each prefetch key must hold when it holds anything: the Patient, or a Bundle of them.
_EXPECTED_TYPES = {
    key: "Patient" if key == PATIENT_KEY else "Bundle" for key in PREFETCH_KEYS.values()
}

FetcherFactory = Callable[[HookRequest, Caller], Fetcher | None]


@dataclass
class EvaluationResult:
    response: CdsResponse
    service: CdsService
    hook_instance: str
    # The cards of the response as issued (uuid, rule, indicator): what metrics, the advice
    # store and the access line record.
    issued: list[CardRecord]
    evaluation_ms: float
    fetched: list[str] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)  # prefetch key -> why not
    # What the clinical core was asked: kept so that the answer can be explained
    # (``baclofen-cds evaluate --explain``).
    case: ClinicalCase | None = None
    sent: list[str] = field(default_factory=list)  # prefetch keys the client sent

    @property
    def rule_codes(self) -> list[str]:
        return [card.rule for card in self.issued]


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
                f"prefetch.{key} must be a {expected} or an OperationOutcome",
                f"prefetch.{key}.resourceType",
            )
        if resource_type == "Bundle" and "entry" in value and not isinstance(value["entry"], list):
            raise bad_request(f"prefetch.{key}.entry must be a list", f"prefetch.{key}.entry")
    patient = prefetch.get(PATIENT_KEY)
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


class OutOfTime(CdsHooksError):
    """503: the checks did not finish in time. The EHR gets an answer it can show or log
    instead of a connection that hangs until it gives up; nothing was checked."""

    def __init__(self, budget_s: float) -> None:
        super().__init__(
            503,
            [
                Issue(
                    f"the baclofen checks did not finish within {budget_s:g} s: this order was "
                    "not checked",
                    code="timeout",
                )
            ],
        )


class TimeBudget:
    """The CPU time one hook call may take, across its steps, off the event loop.

    Each step runs on a worker thread and is awaited until the budget is spent; a step still
    running then is abandoned (its result discarded) and the call answers ``out_of_time``.
    Patterns and inputs are bounded so that a step always ends; the budget makes sure that a
    defect or an input nobody foresaw costs one 503, not a stalled service.
    """

    def __init__(self, seconds: float, executor: ThreadPoolExecutor) -> None:
        self.seconds = seconds
        self.executor = executor
        self.used_s = 0.0

    async def run(self, function: Callable[..., _Result], *args: Any, **kwargs: Any) -> _Result:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # the request id rides along into the log
        started = time.perf_counter()
        future = loop.run_in_executor(self.executor, lambda: context.run(function, *args, **kwargs))
        try:
            async with asyncio.timeout(max(0.0, self.seconds - self.used_s)):
                return await future
        except TimeoutError:
            raise OutOfTime(self.seconds) from None
        finally:
            self.used_s += time.perf_counter() - started


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
        time_budget_s: float = DEFAULT_TIME_BUDGET_S,
        link_signer: LinkSigner | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.clock = clock
        self.fetcher_factory = fetcher_factory
        self.max_pages = max_pages
        self.time_budget_s = time_budget_s
        self.links = ServiceLinks(base_url, link_signer)
        self.templates = prefetch_templates(knowledge)
        self._executor: ThreadPoolExecutor | None = None

    def _threads(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(EVALUATION_THREADS, thread_name_prefix="evaluate")
        return self._executor

    async def aclose(self) -> None:
        """Stop the evaluation threads (queued work is dropped; running work is not awaited)."""
        if self._executor is not None:
            executor, self._executor = self._executor, None
            executor.shutdown(wait=False, cancel_futures=True)

    def service(self, service_id: str) -> CdsService:
        service = SERVICES.get(service_id)
        if service is None:
            raise not_found("no such CDS service (GET /cds-services lists them)")
        return service

    def parse(self, service: CdsService, body: Any) -> tuple[HookRequest, Any]:
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object", code="structure")
        try:
            request = HookRequest.model_validate(body)
        except ValidationError as error:
            raise CdsHooksError(400, validation_issues(error.errors())) from None
        if request.hook != service.hook:
            raise bad_request(f"service {service.id} answers the {service.hook} hook", "hook")
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
        budget = TimeBudget(self.time_budget_s, self._threads())
        try:
            return await self._evaluate(service, request, context, caller, budget)
        except OutOfTime:
            log.error(
                "evaluation out of time",
                extra={
                    "hook_instance": request.hookInstance,
                    "service": service.id,
                    "budget_s": self.time_budget_s,
                },
            )
            raise

    async def _evaluate(
        self,
        service: CdsService,
        request: HookRequest,
        context: Any,
        caller: Caller,
        budget: TimeBudget,
    ) -> EvaluationResult:

        draft_orders = None
        selections = None
        if service.trigger is Trigger.ORDER_WRITTEN:
            draft_orders = await budget.run(normalise_draft_orders, context.draftOrders)
            if isinstance(context, OrderSelectContext):
                selections = list(context.selections)
                present = references_in(draft_orders)
                unknown = [i for i, selection in enumerate(selections) if selection not in present]
                if unknown:
                    raise bad_request(
                        "context.selections names orders that are not in context.draftOrders "
                        f"(selection {', '.join(map(str, unknown))})",
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
        if outcome.details:
            # The caller is told only that the data could not be had; operators, what happened.
            log.warning(
                "prefetch data not obtained",
                extra={"hook_instance": request.hookInstance, "details": outcome.details},
            )
        if PATIENT_KEY in outcome.unavailable or outcome.values.get(PATIENT_KEY) is None:
            reason = outcome.unavailable.get(PATIENT_KEY, "the client sent null: no such patient")
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

        case = ClinicalCase(
            today=self.clock(),
            patient_id=context.patientId,
            records=by_record_kind(outcome.values),
            unavailable=by_record_kind(outcome.unavailable),
            trigger=service.trigger,
            draft_orders=draft_orders,
            selections=selections,
        )
        started = time.perf_counter()
        answered = await budget.run(answer, case, self.knowledge, self.links)
        elapsed = (time.perf_counter() - started) * 1000
        return EvaluationResult(
            response=CdsResponse(cards=answered.cards),
            service=service,
            hook_instance=request.hookInstance,
            issued=answered.issued,
            evaluation_ms=elapsed,
            fetched=outcome.fetched,
            unavailable=outcome.unavailable,
            case=case,
            sent=sorted(
                key
                for key, value in (request.prefetch or {}).items()
                if key in self.templates and not is_operation_outcome(value)
            ),
        )
