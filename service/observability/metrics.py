"""Prometheus metric families: one place, so every feature counts the same way.

Names follow Prometheus conventions (``_total`` counters, ``_seconds`` histograms). Labels are
low-cardinality on purpose: service ids, hooks, rule codes, reason codes; never patient data,
hookInstance or anything else unbounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import get_args

from prometheus_client import Counter, Gauge, Histogram

from cds_hooks.jwt import Reason
from service.observability.card_record import CardRecord

# prometheus-client's multiprocess mode: where every worker writes its counts. Set by the server
# runner (service.app.serving) before it starts several workers, read by GET /metrics.
MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Counted by service.api.access for every HTTP request; service and hook are empty on routes
# that name no service. The route is the template ("/cds-services/{service_id}"), never a path.
REQUESTS = Counter(
    "baclofen_cds_requests_total",
    "HTTP requests answered, by route, service, hook and status code",
    ["route", "service", "hook", "status"],
)
REQUEST_SECONDS = Histogram(
    "baclofen_cds_request_seconds",
    "Time to answer an HTTP request, end to end inside the service, by route and service",
    ["route", "service"],
    buckets=LATENCY_BUCKETS,
)
EVALUATION_SECONDS = Histogram(
    "baclofen_cds_evaluation_seconds",
    "Time spent in the clinical core alone (facts, rules, cards)",
    ["service"],
    buckets=LATENCY_BUCKETS,
)
CARDS = Counter(
    "baclofen_cds_cards_total",
    "Cards returned, by rule code and indicator",
    ["service", "rule", "indicator"],
)
# One FHIR read (a prefetch query or a next page, with its redirects and retry), by the
# resource type queried ("page" for a next-page link) and outcome ("ok" or a failure kind:
# service.fhir.client.OUTCOMES).
FHIR_FETCHES = Counter(
    "baclofen_cds_fhir_fetches_total",
    "FHIR reads made to complete prefetch, by resource type and outcome",
    ["resource", "outcome"],
)
FHIR_FETCH_SECONDS = Histogram(
    "baclofen_cds_fhir_fetch_seconds",
    "Time of one FHIR read (including redirects and the retry), by resource type",
    ["resource"],
    buckets=LATENCY_BUCKETS,
)
JWT_REJECTIONS = Counter(
    "baclofen_cds_jwt_rejections_total",
    "Calls refused by JWT verification, by reason code",
    ["reason"],
)
FEEDBACK = Counter(
    "baclofen_cds_feedback_total",
    "Feedback items received, by outcome (accepted, overridden) and whether newly stored",
    ["service", "outcome", "stored"],
)
ADVICE_RECORDING = Counter(
    "baclofen_cds_advice_records_total",
    "Issued cards handed to the advice recorder, by result (written, dropped, failed)",
    ["result"],
)


# Gauges. With several workers each process writes its own value to PROMETHEUS_MULTIPROC_DIR
# and a scrape combines them by the mode given here. "livesum": the container's total over the
# workers alive now (a worker that stopped, or died, leaves nothing behind: its files are
# retired, service.api.metrics_endpoint). With one process the mode is ignored.
IN_FLIGHT = Gauge(
    "baclofen_cds_requests_in_flight",
    "HTTP requests being answered now (scrapes of /metrics excluded)",
    multiprocess_mode="livesum",
)
ADVICE_QUEUE_DEPTH = Gauge(
    "baclofen_cds_advice_queue_depth",
    "Hook calls whose cards wait in the advice recorder's queue (not yet being written)",
    multiprocess_mode="livesum",
)
ADVICE_QUEUE_CAPACITY = Gauge(
    "baclofen_cds_advice_queue_capacity",
    "Hook calls the advice recorder's queue holds before it drops cards",
    multiprocess_mode="livesum",
)
# Always 1, the versions in its labels. "livemax": one series per version, 1 while a worker
# runs it, whatever the number of workers.
BUILD_INFO = Gauge(
    "baclofen_cds_build_info",
    "Always 1: the service version and the knowledge base version of the running processes",
    ["version", "knowledge_version"],
    multiprocess_mode="livemax",
)


_build: tuple[str, str] | None = None


def set_build_info(version: str, knowledge_version: str) -> None:
    """The versions this process runs (the application sets them once it has its knowledge)."""
    global _build
    if _build == (version, knowledge_version):
        return
    if _build is not None:
        # Several applications in one process (tests): only the latest is reported. A served
        # process builds one application, so this never runs in multiprocess mode, where
        # prometheus-client cannot remove a series.
        BUILD_INFO.remove(*_build)
    _build = (version, knowledge_version)
    BUILD_INFO.labels(version=version, knowledge_version=knowledge_version).set(1)


def count_evaluation(service: str, seconds: float, cards: Iterable[CardRecord]) -> None:
    """A hook call's clinical evaluation: its time and the cards it produced."""
    EVALUATION_SECONDS.labels(service=service).observe(seconds)
    for card in cards:
        CARDS.labels(service=service, rule=card.rule, indicator=card.indicator).inc()


def _start_at_zero() -> None:
    # Series that exist before their first event: an alert on increase() or rate() needs the
    # zero to compare with, and a dashboard shows 0 rather than "no data".
    for result in ("written", "dropped", "failed"):
        ADVICE_RECORDING.labels(result=result)
    for reason in get_args(Reason):
        JWT_REJECTIONS.labels(reason=reason)


_start_at_zero()
