"""Tables of the store: the advice issued (one row per card) and the feedback received.

What is NOT here is deliberate: no patient identifier, name or FHIR resource, and no free text
a clinician typed. A card is known by its uuid, the rule that raised it, the call it answered
(hookInstance, a random id the EHR draws per call) and the client it was issued to (the
verified JWT issuer and tenant; none with authentication off): feedback on a card counts only
from that client.

Feedback has no foreign key to the card it names: feedback can arrive before the advice
recorder has written the card (it writes off the request path), or name a card this service
never issued. Both are stored; the link is made by card uuid when the data is read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, Integer, MetaData, String
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {"pk": "pk_%(table_name)s"}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on both databases.

    PostgreSQL keeps the offset (timestamptz); SQLite keeps text without one, so values are
    converted to UTC before they are written and marked UTC when read. Writing a naive datetime
    is a defect (its zone is unknown) and fails.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the store keeps aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class IssuedCard(Base):
    __tablename__ = "issued_card"

    card_uuid: Mapped[str] = mapped_column(String, primary_key=True)
    service: Mapped[str] = mapped_column(String)
    hook: Mapped[str] = mapped_column(String)
    hook_instance: Mapped[str] = mapped_column(String)
    rule: Mapped[str] = mapped_column(String)
    indicator: Mapped[str] = mapped_column(String)
    knowledge_version: Mapped[str] = mapped_column(String)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The client the card was issued to; None with authentication off (and on rows written
    # before these columns existed: feedback from any client counts for those).
    issuer: Mapped[str | None] = mapped_column(String)
    tenant: Mapped[str | None] = mapped_column(String)

    __table_args__ = (
        Index("ix_issued_card_issued_at", "issued_at"),
        Index("ix_issued_card_service_rule", "service", "rule"),
    )


class Feedback(Base):
    __tablename__ = "feedback"

    # BigInteger on PostgreSQL; SQLite autoincrements only an INTEGER PRIMARY KEY.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    service: Mapped[str] = mapped_column(String)  # the service the feedback was posted to
    card_uuid: Mapped[str] = mapped_column(String)
    outcome: Mapped[str] = mapped_column(String)
    outcome_at: Mapped[datetime] = mapped_column(UtcDateTime)
    accepted_suggestions: Mapped[list[Any]] = mapped_column(JSON)
    reason_system: Mapped[str | None] = mapped_column(String)
    reason_code: Mapped[str | None] = mapped_column(String)
    reason_display: Mapped[str | None] = mapped_column(String)
    # The userComment's length only, never its text: see service/store/feedback.py.
    comment_length: Mapped[int | None] = mapped_column(Integer)
    client: Mapped[str | None] = mapped_column(String)  # verified JWT issuer, when known
    tenant: Mapped[str | None] = mapped_column(String)  # the JWT's tenant, when sent
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Whether the card was known, issued to this client, when the item arrived: what is
    # stored for unknown cards is bounded per client (service.store.feedback).
    card_known: Mapped[bool | None] = mapped_column(Boolean)

    # The idempotency key of a feedback item (CDS Hooks: one outcome of one card at one time).
    # Enforced by the database so that concurrent deliveries of the same item cannot race.
    __table_args__ = (
        Index("uq_feedback_item", "card_uuid", "outcome", "outcome_at", unique=True),
        Index("ix_feedback_outcome_at", "outcome_at"),
        Index("ix_feedback_client_received_at", "client", "received_at"),
    )
