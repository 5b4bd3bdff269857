"""The FHIR client: one pooled ``httpx.AsyncClient`` per process, one fetcher per hook call.

A fetcher reads JSON from one FHIR base with the caller's bearer token, within the hook call's
total time budget (``BACLOFEN_CDS_FHIR_TIMEOUT_S``), which covers every key, page, retry and
redirect of the call. GETs are retried once, after a short random pause, on connection errors
and 502/503/504. Redirects are followed only to URLs under the same base, so the token never
travels elsewhere, and every connection only to an address the policy permits
(``service.fhir.network``). A failure tells the caller only that the data could not be had;
what happened is logged. URLs, tokens and response bodies never appear in either.

Every read is counted in ``baclofen_cds_fhir_fetches_total`` by resource type and outcome, and
timed in ``baclofen_cds_fhir_fetch_seconds``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import socket
import ssl
import time
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson

from cds_hooks.fetch import NOT_PROVIDED, PREFETCH_KEY, FetchError
from service import __version__
from service.fhir.network import (
    AddressNotAllowed,
    AddressPolicy,
    GuardedTransport,
    Resolver,
    system_resolve,
)
from service.fhir.servers import FhirBase, NotPermittedError
from service.observability.metrics import FHIR_FETCH_SECONDS, FHIR_FETCHES

log = logging.getLogger("baclofen_cds.fhir")

# httpx logs every request URL at INFO, and FHIR query URLs carry patient ids.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

MAX_ANSWER_BYTES = 16 * 1024 * 1024  # far above any one patient's search page
MAX_REDIRECTS = 3
RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_PAUSE_S = (0.05, 0.25)
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Errors after which the same GET may succeed: the connection, not the server's answer, failed.
_RETRYABLE = (httpx.NetworkError, httpx.RemoteProtocolError)
_RESOURCE_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")
_STATUSES_NAMED = frozenset({401, 403, 404, 429})


class FhirFetchError(FetchError):
    """A ``FetchError`` telling the caller only ``NOT_PROVIDED`` (so that answers cannot tell
    open, closed, filtered and non-HTTP ports apart: a port scanner through the service), with
    what happened in ``detail`` and its kind in ``outcome`` (a word fit for a metric label)."""

    def __init__(self, detail: str, outcome: str) -> None:
        super().__init__(NOT_PROVIDED, detail)
        self.outcome = outcome


def status_outcome(status: int) -> str:
    """``http-401`` for the statuses an operator acts on, else the class (``http-5xx``)."""
    return f"http-{status}" if status in _STATUSES_NAMED else f"http-{status // 100}xx"


def resource_label(url: str) -> str:
    """The resource type a query asks for; ``page`` for a next-page link the server gave."""
    if "://" in url:
        return "page"
    first = url.split("?", 1)[0].strip("/").split("/", 1)[0]
    return first if _RESOURCE_TYPE.fullmatch(first) else "other"


def _retry_pause() -> float:
    return random.uniform(*RETRY_PAUSE_S)


class FhirClient:
    """The process's pooled HTTP client for FHIR servers.

    ``start`` and ``aclose`` run at application start-up and shutdown. The client is also made
    on first use, for the command line, which owns no lifespan; whoever uses it closes it.
    """

    def __init__(
        self,
        timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        policy: AddressPolicy | None = None,
        resolve: Resolver = system_resolve,
    ):
        self.timeout_s = timeout_s
        self._transport = transport
        self._policy = policy or AddressPolicy()
        self._resolve = resolve
        self._http: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client()

    async def aclose(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
            # Every connection goes through the address policy (service.fhir.network).
            transport = self._transport or GuardedTransport(
                self._policy, limits=limits, resolve=self._resolve
            )
            self._http = httpx.AsyncClient(
                transport=transport,
                timeout=httpx.Timeout(self.timeout_s),
                follow_redirects=False,  # followed by hand, only under the same base
                limits=limits,
                headers={"User-Agent": f"baclofen-cds/{__version__}"},
                trust_env=False,  # no proxy from the environment: see service.fhir.network
            )
        return self._http

    def fetcher(self, base: FhirBase, token: str | None) -> FhirFetcher:
        """A fetcher for one hook call; its time budget starts now."""
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        return FhirFetcher(self._client(), base, token, budget_s=self.timeout_s, deadline=deadline)


class FhirFetcher:
    """Reads from one FHIR base for one hook call (implements ``cds_hooks.fetch.Fetcher``)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base: FhirBase,
        token: str | None,
        *,
        budget_s: float,
        deadline: float,
    ) -> None:
        self._http = http
        self._base = base
        self._budget_s = budget_s
        self._deadline = deadline
        self._headers = {"Accept": "application/fhir+json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:  # never show the headers: they hold the token
        return f"FhirFetcher(host={self._base.host!r})"

    async def fetch(self, url: str) -> dict[str, Any]:
        resource = resource_label(url)
        started = time.perf_counter()
        outcome = "error"  # cancelled, or a defect
        try:
            answer = await self._fetch(url)
            outcome = "ok"
            return answer
        except FetchError as error:
            outcome = error.outcome if isinstance(error, FhirFetchError) else "invalid-answer"
            log.warning(
                "FHIR fetch failed",
                extra={
                    "reason": error.detail,
                    "outcome": outcome,
                    "fhir_host": self._base.host,
                    "prefetch_key": PREFETCH_KEY.get(),
                },
            )
            raise
        finally:
            FHIR_FETCHES.labels(resource=resource, outcome=outcome).inc()
            FHIR_FETCH_SECONDS.labels(resource=resource).observe(time.perf_counter() - started)

    async def _fetch(self, url: str) -> dict[str, Any]:
        try:
            target = self._base.resolve(url)
        except NotPermittedError:
            raise FhirFetchError(
                "the FHIR server linked to a URL outside its base URL", "not-permitted"
            ) from None
        try:
            async with asyncio.timeout_at(self._deadline):
                return await self._get_with_retry(target)
        except (TimeoutError, httpx.TimeoutException):
            raise FhirFetchError(f"timed out after {self._budget_s:g} s", "timeout") from None

    async def _get_with_retry(self, url: str) -> dict[str, Any]:
        failure = FhirFetchError("no attempt was made", "error")
        for attempt in range(2):
            if attempt:
                await asyncio.sleep(_retry_pause())
            try:
                status, body = await self._get(url)
            except _RETRYABLE as error:
                refused = _cause(error, AddressNotAllowed)
                if refused is not None:  # not a failure that a second attempt could mend
                    raise FhirFetchError(str(refused), "not-permitted") from None
                failure = FhirFetchError(_transport_reason(error), "connection")
                continue
            except httpx.TimeoutException:
                raise
            except httpx.HTTPError:
                raise FhirFetchError(
                    "the connection to the FHIR server failed", "connection"
                ) from None
            if status in RETRY_STATUSES:
                failure = FhirFetchError(f"FHIR server answered {status}", status_outcome(status))
                continue
            if status != 200:
                raise FhirFetchError(f"FHIR server answered {status}", status_outcome(status))
            return _json_object(body)
        raise failure

    async def _get(self, url: str) -> tuple[int, bytes]:
        """Status and body of a GET, following redirects that stay under the base."""
        for _ in range(MAX_REDIRECTS + 1):
            async with self._http.stream("GET", url, headers=self._headers) as response:
                if response.status_code in _REDIRECT_STATUSES:
                    location = response.headers.get("location")
                    url = urljoin(url, location) if location else ""
                    if not self._base.contains(url):
                        raise FhirFetchError(
                            "the FHIR server redirected outside its base URL", "not-permitted"
                        )
                    continue
                if response.status_code != 200:
                    return response.status_code, b""
                return 200, await _read_capped(response)
        raise FhirFetchError("the FHIR server redirected too many times", "invalid-answer")


async def _read_capped(response: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise FhirFetchError(
                f"the FHIR server's answer is larger than {MAX_ANSWER_BYTES >> 20} MB",
                "invalid-answer",
            )
    return bytes(body)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise FhirFetchError(
            "the FHIR server answered with something that is not FHIR JSON", "invalid-answer"
        )
    return value


def _cause(error: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of ``kind`` in the chain of ``error`` (httpx wraps httpcore's)."""
    cause: BaseException | None = error
    for _ in range(16):  # exception chains are short; the bound guards against a cycle
        if cause is None or isinstance(cause, kind):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


def _transport_reason(error: BaseException) -> str:
    """What went wrong with the connection, from the exceptions httpx wraps."""
    cause: BaseException | None = error
    for _ in range(16):  # exception chains are short; the bound guards against a cycle
        if cause is None:
            break
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "the FHIR server's host name could not be resolved"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "the FHIR server's TLS certificate could not be verified"
        cause = cause.__cause__ or cause.__context__
    if isinstance(error, httpx.ConnectError):
        return "could not connect to the FHIR server"
    return "the connection to the FHIR server failed"
