"""Helpers for tests of the store: rows as the database holds them, metric values, records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prometheus_client import REGISTRY
from sqlalchemy import select, text

from service.store.advice import IssuedAdvice
from service.store.database import Database
from service.store.feedback import FeedbackRecord
from service.store.models import IssuedCard

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SIGN = "baclofen-order-sign"


async def rows(source: Database | str, table: str) -> list[dict[str, Any]]:
    """Every row of a table, from a store's database or a database URL."""
    database = Database(source) if isinstance(source, str) else source
    try:
        async with database.engine.connect() as connection:
            result = await connection.execute(text(f"SELECT * FROM {table}"))
            return [dict(row._mapping) for row in result]
    finally:
        if isinstance(source, str):
            await database.dispose()


async def issued_cards(database: Database) -> list[dict[str, Any]]:
    """The issued_card rows through the model, so times come back as aware UTC datetimes."""
    async with database.sessions() as session:
        cards = (await session.scalars(select(IssuedCard).order_by(IssuedCard.rule))).all()
    return [
        {column.key: getattr(card, column.key) for column in IssuedCard.__table__.columns}
        for card in cards
    ]


def counted(metric: str, **labels: str) -> float:
    """The current value of a Prometheus counter sample (0 when never incremented)."""
    return REGISTRY.get_sample_value(metric, labels) or 0.0


def advice_count(result: str) -> float:
    return counted("baclofen_cds_advice_records_total", result=result)


def queue_gauge(which: str) -> float:
    """The advice queue's ``depth`` or ``capacity`` gauge, as this process exports it."""
    return counted(f"baclofen_cds_advice_queue_{which}")


def issued(
    card: str,
    rule: str = "dose-above-max",
    *,
    at: datetime = T0,
    service: str = SIGN,
    issuer: str | None = None,
    tenant: str | None = None,
) -> IssuedAdvice:
    return IssuedAdvice(
        issuer=issuer,
        tenant=tenant,
        card_uuid=card,
        service=service,
        hook="order-sign",
        hook_instance=f"hook-{card}",
        rule=rule,
        indicator="warning",
        knowledge_version="test",
        issued_at=at,
    )


def feedback(
    card: str,
    outcome: str = "overridden",
    *,
    at: datetime = T0,
    reason: str | None = None,
    comment_length: int | None = None,
    client: str | None = None,
    tenant: str | None = None,
) -> FeedbackRecord:
    return FeedbackRecord(
        tenant=tenant,
        service=SIGN,
        card_uuid=card,
        outcome=outcome,
        outcome_at=at,
        accepted_suggestions=["s-1"] if outcome == "accepted" else [],
        reason_system="http://example.org/reasons" if reason else None,
        reason_code=reason,
        reason_display=reason.replace("-", " ").title() if reason else None,
        comment_length=comment_length,
        client=client,
        received_at=at,
    )
