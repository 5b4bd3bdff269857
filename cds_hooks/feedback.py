"""Feedback: ``POST {baseUrl}/cds-services/{id}/feedback`` (CDS Hooks 2.0.1 §Feedback).

The invariants of the HL7 logical model (``cds-fb-1`` to ``cds-fb-3``) are enforced here, plus
two consequences of the prose: an accepted card carries no override reason and an overridden one
accepts no suggestion. A timestamp must say its offset (RFC 3339): a local time of unknown zone
would file the outcome in the wrong hour, and the idempotency of feedback rests on it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from cds_hooks.response import Coding
from cds_hooks.wire import WireModel

# One call reports the cards of one hook response; a few hundred is far beyond any real client
# and keeps a single request from turning into a bulk load.
MAX_ITEMS_PER_CALL = 500
# Identifiers and codes as services and EHRs write them (uuids, "patient-tolerates", "J45.9"):
# short, and starting with a letter or digit, which also keeps a stored code from being read
# as a formula when the analytics are opened in a spreadsheet ("=HYPERLINK(...)", "@SUM(...)").
TOKEN_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
MAX_TOKEN_CHARS = 64
MAX_TEXT_CHARS = 256


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    OVERRIDDEN = "overridden"


class _Received(WireModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class AcceptedSuggestion(_Received):
    id: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS, pattern=TOKEN_PATTERN)


class OverrideReasonCoding(_Received, Coding):
    """The clinician's reason: a Coding (``display`` optional here, unlike in the card), with
    a code such as the cards offer, and sizes capped: it is stored as sent."""

    code: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS, pattern=TOKEN_PATTERN)
    system: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    display: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)


class OverrideReason(_Received):
    reason: OverrideReasonCoding | None = None
    userComment: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _reason_or_comment(self) -> OverrideReason:
        # cds-fb-3
        if self.reason is None and not self.userComment:
            raise ValueError("an overrideReason carries a reason, a userComment, or both")
        return self


class FeedbackItem(_Received):
    card: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS, pattern=TOKEN_PATTERN)
    outcome: Outcome
    acceptedSuggestions: list[AcceptedSuggestion] = Field(default_factory=list, max_length=20)
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: AwareDatetime

    @model_validator(mode="after")
    def _outcome_consistent(self) -> FeedbackItem:
        # cds-fb-2: an accepted card names the suggestions that were accepted.
        if self.outcome is Outcome.ACCEPTED and not self.acceptedSuggestions:
            raise ValueError("an accepted outcome lists its acceptedSuggestions")
        if self.outcome is Outcome.ACCEPTED and self.overrideReason is not None:
            raise ValueError("an accepted outcome carries no overrideReason")
        if self.outcome is Outcome.OVERRIDDEN and self.acceptedSuggestions:
            raise ValueError("an overridden outcome accepts no suggestions")
        return self


class FeedbackRequest(_Received):
    feedback: list[FeedbackItem] = Field(min_length=1, max_length=MAX_ITEMS_PER_CALL)
