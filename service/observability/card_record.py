"""What the service's own records keep of a card it issued (metrics, the advice store, the
access log): known when the card is made, never read back out of its wire form."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CardRecord"]


@dataclass(frozen=True)
class CardRecord:
    uuid: str  # the card's uuid, as the EHR sends it back with feedback
    rule: str  # the rule code the card reports (source.topic.code)
    indicator: str  # "info", "warning", "critical"
