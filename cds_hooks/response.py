"""The CDS Hooks 2.0.1 service response: cards, suggestions, actions, links, system actions.

Invariants the specification states in prose are enforced here, so that no part of the
application can build a non-conformant card: a summary shorter than 140 characters, a
``selectionBehavior`` whenever there are suggestions, override reasons as complete Codings,
``appContext`` only on SMART links, and actions that carry what their type needs.
"""

from __future__ import annotations

import uuid as uuid_module
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from cds_hooks.wire import WireModel

SUMMARY_MAX_LENGTH = 140  # "<140 characters" (CDS Hooks 2.0 §Card Attributes)


class Indicator(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def urgency(self) -> int:
        """Sort key: critical cards come first."""
        return {"critical": 2, "warning": 1, "info": 0}[self.value]


class SelectionBehavior(StrEnum):
    AT_MOST_ONE = "at-most-one"
    ANY = "any"


class ActionType(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class LinkType(StrEnum):
    ABSOLUTE = "absolute"
    SMART = "smart"


def new_uuid() -> str:
    return str(uuid_module.uuid4())


class Coding(WireModel):
    """A FHIR-style Coding as CDS Hooks uses it (``code`` and ``system`` REQUIRED)."""

    code: str = Field(min_length=1)
    system: str = Field(min_length=1)
    display: str | None = None


class OverrideReason(Coding):
    """A reason a clinician may give for overriding a card: ``display`` is REQUIRED here."""

    display: str = Field(min_length=1)


class Source(WireModel):
    label: str = Field(min_length=1)
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Action(WireModel):
    type: ActionType
    description: str = Field(min_length=1)
    resource: dict[str, Any] | None = None
    resourceId: str | None = None

    @model_validator(mode="after")
    def _type_needs(self) -> Action:
        if self.type in (ActionType.CREATE, ActionType.UPDATE) and not self.resource:
            raise ValueError(f"a {self.type.value} action carries the resource")
        if self.type is ActionType.DELETE and not (self.resourceId or self.resource):
            raise ValueError("a delete action names its target in resourceId")
        if self.resource is not None and "resourceType" not in self.resource:
            raise ValueError("an action's resource is a FHIR resource with a resourceType")
        return self


class Suggestion(WireModel):
    label: str = Field(min_length=1)
    uuid: str = Field(default_factory=new_uuid)
    isRecommended: bool | None = None
    actions: list[Action] = Field(default_factory=list)


class Link(WireModel):
    label: str = Field(min_length=1)
    url: str = Field(min_length=1)
    type: LinkType
    appContext: str | None = None
    autolaunchable: bool | None = None

    @model_validator(mode="after")
    def _app_context_only_for_smart(self) -> Link:
        if self.appContext is not None and self.type is not LinkType.SMART:
            raise ValueError("appContext is only allowed on smart links")
        return self


class Card(WireModel):
    uuid: str = Field(default_factory=new_uuid)
    summary: str = Field(min_length=1)
    detail: str | None = None
    indicator: Indicator
    source: Source
    suggestions: list[Suggestion] = Field(default_factory=list)
    selectionBehavior: SelectionBehavior | None = None
    overrideReasons: list[OverrideReason] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)

    @field_validator("summary")
    @classmethod
    def _summary_is_short(cls, value: str) -> str:
        if len(value) >= SUMMARY_MAX_LENGTH:
            raise ValueError(
                f"summary must be shorter than {SUMMARY_MAX_LENGTH} characters, got {len(value)}"
            )
        return value

    @model_validator(mode="after")
    def _selection_behavior_with_suggestions(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("a card with suggestions must carry selectionBehavior")
        if self.selectionBehavior is SelectionBehavior.AT_MOST_ONE:
            recommended = sum(1 for s in self.suggestions if s.isRecommended)
            if recommended > 1:
                raise ValueError("at-most-one allows at most one recommended suggestion")
        return self


class SystemAction(Action):
    """An action the client may apply without the user (CDS Hooks 2.0 ``systemActions``)."""


class CdsResponse(WireModel):
    keep_empty: ClassVar[frozenset[str]] = frozenset({"cards"})

    cards: list[Card] = Field(default_factory=list)
    systemActions: list[SystemAction] = Field(default_factory=list)
