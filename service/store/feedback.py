"""Feedback on cards, stored once per item.

An item's identity is (card, outcome, outcomeTimestamp): an EHR that re-sends an item after a
timeout sends the same three values, and the database's unique index turns the second insert
into a no-op, however the two deliveries interleave.

The clinician's ``userComment`` is free text typed in the EHR and routinely carries patient
details (names, record numbers, findings). The store promises to hold no patient data, so only
the comment's length is kept: enough to tell whether clinicians explain their overrides, and
nothing that could identify a patient. The coded reason (system, code, display) is kept whole;
its size is capped when it is received (``cds_hooks.feedback``).

Feedback counts for a card only when it comes from the client the card was issued to
(``service.store.scope``); another client's card is unknown to a client. Items on cards the
store does not know (yet: the advice recorder writes off the request path, and another replica
may have issued the card) are stored and flagged, up to ``MAX_UNKNOWN_PER_DAY`` per client in
any 24 hours: beyond that they are not stored (``not-stored``), so that feedback on cards
never issued cannot fill the store.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, func, select

from cds_hooks.feedback import FeedbackItem
from service.store.advice import known_cards_among
from service.store.database import Database
from service.store.inserts import insert_ignoring_conflicts
from service.store.models import Feedback
from service.store.scope import ClientScope

ITEM_KEY = ("card_uuid", "outcome", "outcome_at")

FeedbackKey = tuple[str, str, datetime]

MAX_UNKNOWN_PER_DAY = 1_000  # items on unknown cards stored per client in any 24 hours
UNKNOWN_WINDOW = timedelta(days=1)


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
    tenant: str | None = None
    card_known: bool | None = None  # set when stored

    @classmethod
    def from_item(
        cls,
        service: str,
        item: FeedbackItem,
        *,
        client: str | None,
        received_at: datetime,
        tenant: str | None = None,
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
            tenant=tenant,
        )

    @property
    def key(self) -> FeedbackKey:
        return (self.card_uuid, self.outcome, self.outcome_at.astimezone(UTC))


@dataclass(frozen=True)
class StoredFeedback:
    # Per record: "stored" by this call, "duplicate" (stored already: by an earlier delivery, a
    # concurrent one, or an earlier entry of the same call), or "not-stored" (an unknown card,
    # beyond the client's allowance).
    statuses: list[str]
    known_cards: set[str]  # the records' cards issued to this client (stored or pending)

    @property
    def stored(self) -> list[bool]:
        return [status == "stored" for status in self.statuses]


async def store_feedback(
    database: Database,
    records: Sequence[FeedbackRecord],
    scope: ClientScope,
    pending: Set[str] = frozenset(),
) -> StoredFeedback:
    """Store the records and say, for each, what became of it (see ``StoredFeedback``).

    What is known is read first, outside the writing transaction: the write lock (SQLite's is
    one for the whole database) is held for the insert alone, and a transaction that reads
    before it writes could be refused the lock outright on SQLite. The allowance for unknown
    cards is therefore approximate under concurrency (by at most the items of the calls in
    flight), which is all a bound on flooding needs.
    """
    if not records:
        return StoredFeedback([], set())
    cards = {record.card_uuid for record in records}
    received_at = records[0].received_at
    async with database.sessions() as session:
        known = set(await session.scalars(known_cards_among(cards, scope))) | (pending & cards)
        recent: int | None = 0
        if not cards <= known:
            recent = await session.scalar(_unknown_since(scope, received_at - UNKNOWN_WINDOW))
    chosen = _within_allowance(records, known, MAX_UNKNOWN_PER_DAY - (recent or 0))
    inserted: set[tuple[object, ...]] = set()
    if chosen:
        insert = (
            insert_ignoring_conflicts(database.dialect, Feedback, ITEM_KEY)
            .values([asdict(record) for record in chosen.values()])
            .returning(Feedback.card_uuid, Feedback.outcome, Feedback.outcome_at)
        )
        async with database.sessions.begin() as session:
            inserted = {tuple(row) for row in (await session.execute(insert)).all()}
    statuses = []
    claimed: set[FeedbackKey] = set()
    for record in records:
        key = record.key
        if key not in chosen:
            statuses.append("not-stored")
        elif key in inserted and key not in claimed:
            statuses.append("stored")
        else:
            statuses.append("duplicate")
        claimed.add(key)
    return StoredFeedback(statuses, known)


def _within_allowance(
    records: Sequence[FeedbackRecord], known: set[str], allowance: int
) -> dict[FeedbackKey, FeedbackRecord]:
    """The records to store, flagged known or not: every one on a known card, and on unknown
    cards no more than the client's remaining allowance."""
    chosen: dict[FeedbackKey, FeedbackRecord] = {}
    for record in records:
        if record.key in chosen:
            continue
        is_known = record.card_uuid in known
        if not is_known:
            if allowance <= 0:
                continue
            allowance -= 1
        chosen[record.key] = replace(record, card_known=is_known)
    return chosen


def _unknown_since(scope: ClientScope, since: datetime) -> Select[int]:
    client = Feedback.client
    return (
        select(func.count())
        .select_from(Feedback)
        .where(
            client.is_(None) if scope.issuer is None else client == scope.issuer,
            Feedback.card_known.is_(False),
            Feedback.received_at >= since,
        )
    )
