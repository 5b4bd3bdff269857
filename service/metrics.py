"""Prometheus metric families: one place, so every feature counts the same way.

Names follow Prometheus conventions (``_total`` counters, ``_seconds`` histograms). Labels are
low-cardinality on purpose: service ids, hooks, rule codes, reason codes; never patient data,
hookInstance or anything else unbounded.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "baclofen_cds_requests_total",
    "HTTP requests answered, by route, service, hook and status code",
    ["route", "service", "hook", "status"],
)
REQUEST_SECONDS = Histogram(
    "baclofen_cds_request_seconds",
    "Time to answer a hook call, end to end inside the service",
    ["service"],
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
FHIR_FETCHES = Counter(
    "baclofen_cds_fhir_fetches_total",
    "FHIR reads made to complete prefetch, by prefetch key and outcome",
    ["key", "outcome"],
)
FHIR_FETCH_SECONDS = Histogram(
    "baclofen_cds_fhir_fetch_seconds",
    "Time of one FHIR read (including pages and the retry)",
    ["key"],
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
