"""Feedback on cards, stored once per item.

An item's identity is (card, outcome, outcomeTimestamp): an EHR that re-sends an item after a
timeout sends the same three values, and the database's unique index turns the second insert
into a no-op, however the two deliveries interleave.

The clinician's ``userComment`` is free text typed in the EHR and routinely carries patient
details (names, record numbers, findings). The store promises to hold no patient data, so only
the comment's length is kept: enough to tell whether clinicians explain their overrides, and
nothing that could identify a patient. The coded reason (system, code, display) is kept whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from cds_hooks.feedback import FeedbackItem
from service.store.advice import known_cards_among
from service.store.database import Database
from service.store.inserts import insert_ignoring_conflicts
from service.store.models import Feedback

ITEM_KEY = ("card_uuid", "outcome", "outcome_at")

FeedbackKey = tuple[str, str, datetime]


@dataclass(frozen=True)
class FeedbackRecord:
    service: str
    card_uuid: str
    outcome: str
    outcome_at: datetime
    accepted_suggestions: list[str]
    reason_system: str | None
    reason_code: str | None
    reason_display: str | None
    comment_length: int | None
    client: str | None
    received_at: datetime

    @classmethod
    def from_item(
        cls, service: str, item: FeedbackItem, *, client: str | None, received_at: datetime
    ) -> FeedbackRecord:
        override = item.overrideReason
        reason = override.reason if override is not None else None
        comment = override.userComment if override is not None else None
        return cls(
            service=service,
            card_uuid=item.card,
            outcome=item.outcome.value,
            outcome_at=item.outcomeTimestamp.astimezone(UTC),
            accepted_suggestions=[suggestion.id for suggestion in item.acceptedSuggestions],
            reason_system=reason.system if reason is not None else None,
            reason_code=reason.code if reason is not None else None,
            reason_display=reason.display if reason is not None else None,
            comment_length=len(comment) if comment is not None else None,
            client=client,
            received_at=received_at,
        )

    @property
    def key(self) -> FeedbackKey:
        return (self.card_uuid, self.outcome, self.outcome_at.astimezone(UTC))


@dataclass(frozen=True)
class StoredFeedback:
    stored: list[bool]  # per record: whether this call stored it
    known_cards: set[str]  # the records' cards the store has a record of


async def store_feedback(database: Database, records: Sequence[FeedbackRecord]) -> StoredFeedback:
    """Store the records in one transaction and say, for each, whether this call stored it.

    False means the item was stored already: by an earlier delivery, a concurrent one, or an
    earlier entry of the same call. The insert comes first: on SQLite a transaction that reads
    before it writes can be refused the write lock outright.
    """
    unique: dict[FeedbackKey, FeedbackRecord] = {}
    for record in records:
        unique.setdefault(record.key, record)
    if not unique:
        return StoredFeedback([], set())
    insert = (
        insert_ignoring_conflicts(database.dialect, Feedback, ITEM_KEY)
        .values([asdict(record) for record in unique.values()])
        .returning(Feedback.card_uuid, Feedback.outcome, Feedback.outcome_at)
    )
    cards = {record.card_uuid for record in records}
    async with database.sessions.begin() as session:
        inserted = {tuple(row) for row in (await session.execute(insert)).all()}
        known = set(await session.scalars(known_cards_among(cards)))
    stored = []
    claimed: set[FeedbackKey] = set()
    for record in records:
        key = record.key
        stored.append(key in inserted and key not in claimed)
        claimed.add(key)
    return StoredFeedback(stored, known)
