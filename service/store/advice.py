"""The record of advice: one row per card returned to an EHR."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Select, select

from service.store.database import Database
from service.store.inserts import insert_ignoring_conflicts
from service.store.models import IssuedCard
from service.store.scope import ClientScope


@dataclass(frozen=True)
class IssuedAdvice:
    card_uuid: str
    service: str
    hook: str
    hook_instance: str
    rule: str
    indicator: str
    knowledge_version: str
    issued_at: datetime
    issuer: str | None = None  # the client the card was issued to (service.store.scope)
    tenant: str | None = None


async def insert_issued(database: Database, rows: Sequence[IssuedAdvice]) -> None:
    """Store the rows; a card already stored (a retried batch) is left as it is."""
    if not rows:
        return
    statement = insert_ignoring_conflicts(database.dialect, IssuedCard, ["card_uuid"])
    async with database.sessions.begin() as session:
        await session.execute(statement, [asdict(row) for row in rows])


def known_cards_among(card_uuids: Iterable[str], scope: ClientScope) -> Select[str]:
    """The query for which of these cards the store has a record of, issued to a client whose
    cards ``scope``'s feedback counts for (another client's cards are unknown to it)."""
    return select(IssuedCard.card_uuid).where(
        IssuedCard.card_uuid.in_(set(card_uuids)), scope.may_give_feedback()
    )
