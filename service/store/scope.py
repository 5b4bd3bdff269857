"""Whose cards: the client a card was issued to, and who may count feedback and read analytics.

A client is the verified JWT issuer with the token's tenant (an EHR serving several
organisations signs for each with a ``tenant``). With authentication off there is no client:
cards are issued to none, and anyone's feedback counts for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from service.store.models import Feedback, IssuedCard


@dataclass(frozen=True)
class ClientScope:
    issuer: str | None
    tenant: str | None = None

    def gives_feedback_on(self, card: ClientScope) -> bool:
        """Whether this client's feedback counts for a card issued to ``card`` (in Python, for
        cards still in the advice queue; ``may_give_feedback`` is the same in SQL)."""
        if card.issuer is None:
            return True
        return card.issuer == self.issuer and card.tenant in (None, self.tenant)

    def owns(self) -> ColumnElement[bool]:
        """Cards issued to this client (a tenant narrows an issuer's cards to its own)."""
        conditions: list[Any] = [IssuedCard.issuer == self.issuer]
        if self.tenant is not None:
            conditions.append(IssuedCard.tenant == self.tenant)
        return and_(*conditions)

    def may_give_feedback(self) -> ColumnElement[bool]:
        """Cards this client's feedback counts for: its own, and cards issued to no client."""
        if self.issuer is None:
            return IssuedCard.issuer.is_(None)
        return or_(IssuedCard.issuer.is_(None), self._owns_exactly())

    def _owns_exactly(self) -> ColumnElement[bool]:
        tenant = IssuedCard.tenant
        same_tenant = tenant.is_(None) if self.tenant is None else tenant == self.tenant
        return and_(IssuedCard.issuer == self.issuer, or_(tenant.is_(None), same_tenant))


def attributed() -> ColumnElement[bool]:
    """Feedback that counts for the card it names: sent by the card's client (the SQL twin of
    ``ClientScope.may_give_feedback``, for joins)."""
    return and_(
        Feedback.card_uuid == IssuedCard.card_uuid,
        or_(
            IssuedCard.issuer.is_(None),
            and_(
                IssuedCard.issuer == Feedback.client,
                or_(IssuedCard.tenant.is_(None), IssuedCard.tenant == Feedback.tenant),
            ),
        ),
    )
