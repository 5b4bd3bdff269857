"""``GET /analytics[?period=7d|30d|13w|12m]``: override analytics as a page for a medicines
committee: per service and rule code, the cards issued, accepted and overridden, the override
rate with its trend (an SVG chart per rule, drawn on the server), and the top override reasons.

The numbers are those of ``GET /analytics/rules`` for the same window, read by the same query
(``Store.rule_stats``): the period's totals in one call, and one call per bucket of the trend.
The page links to that JSON and CSV with the window it shows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from cds_hooks.errors import bad_request, not_found
from service.api.dependencies import DemoDep, KnowledgeDep, SettingsDep, StoreDep
from service.api.store_errors import store_unavailable
from service.api.web.templates import page
from service.api.web.trend import (
    BY_KEY,
    DEFAULT_PERIOD,
    PERIODS,
    Bucket,
    Chart,
    Period,
    TrendPoint,
    buckets,
    trend_chart,
)
from service.store import Store, StoreUnavailable
from service.store.analytics import ReasonCount, RuleStats, Window

router = APIRouter()


@dataclass(frozen=True)
class RuleRow:
    service: str
    rule: str
    title: str
    issued: int
    accepted: int
    overridden: int
    rate: float
    reasons: list[ReasonCount]
    chart: Chart


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def _rule_stats(store: Store, window: Window) -> list[RuleStats]:
    """The one read of the page: the query behind ``GET /analytics/rules``."""
    try:
        rows: list[RuleStats] = await store.rule_stats(window)
    except StoreUnavailable:
        raise store_unavailable("the analytics store is unavailable; try again later") from None
    return rows


def _rows(
    period: Period,
    spans: list[Bucket],
    totals: list[RuleStats],
    per_bucket: list[list[RuleStats]],
    titles: dict[str, str],
) -> list[RuleRow]:
    counts = [{(row.service, row.rule): row for row in rows} for rows in per_bucket]
    result = []
    for row in totals:
        key = (row.service, row.rule)
        points = []
        for span, in_span in zip(spans, counts, strict=True):
            found = in_span.get(key)
            points.append(
                TrendPoint(
                    span.label(period.unit),
                    found.issued if found else 0,
                    found.overridden if found else 0,
                )
            )
        result.append(
            RuleRow(
                service=row.service,
                rule=row.rule,
                title=titles.get(row.rule, row.rule),
                issued=row.issued,
                accepted=row.accepted,
                overridden=row.overridden,
                rate=row.override_rate,
                reasons=row.top_override_reasons,
                chart=trend_chart(points),
            )
        )
    # Read in ten seconds: the most overridden rules first.
    result.sort(key=lambda r: (-r.rate, -r.overridden, -r.issued, r.service, r.rule))
    return result


@router.get(
    "/analytics",
    response_class=HTMLResponse,
    summary="Override analytics as a page (HTML): rates, trends and reasons per rule",
)
async def analytics_page(
    request: Request,
    settings: SettingsDep,
    knowledge: KnowledgeDep,
    store: StoreDep,
    demo: DemoDep,
) -> Response:
    if not settings.analytics_page_enabled:
        # Every client's aggregates, read without a token: not where EHRs call the service.
        raise not_found("no such page here: set BACLOFEN_CDS_ANALYTICS_PAGE=true to serve it")
    key = request.query_params.get("period") or DEFAULT_PERIOD
    period = BY_KEY.get(key)
    if period is None:
        choices = ", ".join(p.key for p in PERIODS)
        raise bad_request(f"period must be one of {choices}", "period")
    spans = buckets(period, _utc_today())
    window = Window(_midnight(spans[0].start), _midnight(spans[-1].end))
    totals = await _rule_stats(store, window)
    per_bucket = (
        [
            await _rule_stats(store, Window(_midnight(span.start), _midnight(span.end)))
            for span in spans
        ]
        if totals
        else [[] for _ in spans]
    )
    rules = knowledge.rules_file.rules
    titles = {code: rule.title for code, rule in rules.items()}
    rows = _rows(period, spans, totals, per_bucket, titles)
    since, until = spans[0].start.isoformat(), spans[-1].end.isoformat()
    return page(
        "analytics.html",
        periods=PERIODS,
        period=period,
        first_day=spans[0].start,
        last_day=spans[-1].end - dt.timedelta(days=1),
        query=f"since={since}&until={until}",
        rows=rows,
        issued=sum(r.issued for r in rows),
        accepted=sum(r.accepted for r in rows),
        overridden=sum(r.overridden for r in rows),
        demo=demo,
    )
