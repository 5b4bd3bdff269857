"""Feedback: ``POST {baseUrl}/cds-services/{id}/feedback`` (CDS Hooks 2.0.1 §Feedback)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field, model_validator

from cds_hooks.response import Coding
from cds_hooks.wire import WireModel


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    OVERRIDDEN = "overridden"


class _Received(WireModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class AcceptedSuggestion(_Received):
    id: str = Field(min_length=1)


class OverrideReasonCoding(_Received, Coding):
    """The clinician's reason: a Coding (``display`` optional here, unlike in the card)."""


class OverrideReason(_Received):
    reason: OverrideReasonCoding | None = None
    userComment: str | None = Field(default=None, max_length=4000)


class FeedbackItem(_Received):
    card: str = Field(min_length=1, max_length=256)
    outcome: Outcome
    acceptedSuggestions: list[AcceptedSuggestion] = Field(default_factory=list)
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: datetime

    @model_validator(mode="after")
    def _outcome_consistent(self) -> FeedbackItem:
        # cds-fb-2: an accepted card names the suggestions that were accepted.
        if self.outcome is Outcome.ACCEPTED and not self.acceptedSuggestions:
            raise ValueError("an accepted outcome lists its acceptedSuggestions")
        if self.outcome is Outcome.OVERRIDDEN and self.acceptedSuggestions:
            raise ValueError("an overridden outcome accepts no suggestions")
        return self


class FeedbackRequest(_Received):
    feedback: list[FeedbackItem] = Field(min_length=1)
