"""Override analytics: per service and rule code, cards issued, accepted and overridden.

Feedback is counted with the card it names, when it comes from the client the card was issued
to, in the window in which the card was issued, and each card counts at most once per outcome
(an EHR may report the same card again with a new timestamp). So ``overridden <= issued``
always holds and the override rate, overridden / issued, is the share of that rule's cards the
clinicians overrode.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from service.store.database import Database
from service.store.models import Feedback, IssuedCard
from service.store.scope import ClientScope, attributed

TOP_REASONS = 5


class WindowError(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class Window:
    """``since`` inclusive, ``until`` exclusive; either may be open."""

    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def parse(cls, since: str | None, until: str | None) -> Window:
        """From ISO 8601 text (a date, or a date-time; without an offset, UTC).

        Raises WindowError naming the parameter, with a message fit for the caller.
        """
        window = cls(_instant(since, "since"), _instant(until, "until"))
        if window.since and window.until and window.since >= window.until:
            raise WindowError("since", "since must be earlier than until")
        return window

    def conditions(self, column: Any) -> list[ColumnElement[bool]]:
        conditions = []
        if self.since is not None:
            conditions.append(column >= self.since)
        if self.until is not None:
            conditions.append(column < self.until)
        return conditions


# Instants any database and any UTC conversion hold (year 1 with an offset overflowed: a 500).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def _instant(value: str | None, name: str) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        instant = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except ValueError:
        raise WindowError(name, f"{name} is not an ISO 8601 date or date-time") from None
    except OverflowError:
        instant = None
    if instant is None or not EARLIEST <= instant <= LATEST:
        raise WindowError(name, f"{name} must lie between 1970 and 3000")
    return instant


@dataclass(frozen=True)
class ReasonCount:
    code: str
    display: str | None
    count: int


@dataclass(frozen=True)
class RuleStats:
    service: str
    rule: str
    issued: int
    accepted: int
    overridden: int
    top_override_reasons: list[ReasonCount] = field(default_factory=list)

    @property
    def override_rate(self) -> float:
        return self.overridden / self.issued if self.issued else 0.0


async def rule_stats(
    database: Database, window: Window, scope: ClientScope | None = None
) -> list[RuleStats]:
    """One row per service and rule code with at least one card issued in the window (to
    ``scope``'s client, or to any client when None). Feedback counts only from the client a
    card was issued to (``service.store.scope``)."""
    in_window = window.conditions(IssuedCard.issued_at)
    if scope is not None:
        in_window.append(scope.owns())
    card = IssuedCard.card_uuid

    def cards_with(outcome: str) -> Any:
        return func.count(distinct(case((Feedback.outcome == outcome, card))))

    counts = (
        select(
            IssuedCard.service,
            IssuedCard.rule,
            func.count(distinct(card)),
            cards_with("accepted"),
            cards_with("overridden"),
        )
        .outerjoin(Feedback, attributed())
        .where(*in_window)
        .group_by(IssuedCard.service, IssuedCard.rule)
        .order_by(IssuedCard.service, IssuedCard.rule)
    )
    reasons = (
        select(
            IssuedCard.service,
            IssuedCard.rule,
            Feedback.reason_code,
            func.max(Feedback.reason_display),
            func.count(distinct(card)),
        )
        .join(Feedback, attributed())
        .where(*in_window, Feedback.outcome == "overridden", Feedback.reason_code.is_not(None))
        .group_by(IssuedCard.service, IssuedCard.rule, Feedback.reason_code)
    )
    async with _snapshot(database) as connection:
        count_rows = (await connection.execute(counts)).all()
        reason_rows = (await connection.execute(reasons)).all()

    by_rule: dict[tuple[str, str], list[ReasonCount]] = defaultdict(list)
    for service, rule, code, display, count in reason_rows:
        by_rule[(service, rule)].append(ReasonCount(str(code), display, count))
    return [
        RuleStats(
            service=service,
            rule=rule,
            issued=issued,
            accepted=accepted,
            overridden=overridden,
            top_override_reasons=sorted(
                by_rule[(service, rule)], key=lambda reason: (-reason.count, reason.code)
            )[:TOP_REASONS],
        )
        for service, rule, issued, accepted, overridden in count_rows
    ]


async def unmatched_feedback(database: Database, window: Window) -> int:
    """Feedback items (outcome time in the window) naming a card the store has no record of,
    issued to the client that sent them."""
    issued = exists().where(attributed())
    statement = (
        select(func.count())
        .select_from(Feedback)
        .where(and_(~issued, *window.conditions(Feedback.outcome_at)))
    )
    async with _snapshot(database) as connection:
        return int((await connection.execute(statement)).scalar_one())


@asynccontextmanager
async def _snapshot(database: Database) -> AsyncIterator[AsyncConnection]:
    """A read transaction whose statements all see the same data.

    SQLite in WAL mode gives a transaction one snapshot by itself; PostgreSQL needs REPEATABLE
    READ for that (its default gives each statement its own).
    """
    async with database.engine.connect() as connection:
        if database.dialect == "postgresql":
            connection = await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            yield connection
