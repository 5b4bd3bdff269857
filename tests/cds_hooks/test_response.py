"""The response models refuse non-conformant cards and serialise without nulls."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cds_hooks.response import (
    Action,
    ActionType,
    Card,
    CdsResponse,
    Coding,
    Indicator,
    Link,
    LinkType,
    OverrideReason,
    SelectionBehavior,
    Source,
    Suggestion,
)

SOURCE = Source(label="test")


def card(**fields: object) -> Card:
    values: dict[str, object] = {"summary": "s", "indicator": "info", "source": SOURCE}
    values.update(fields)
    return Card.model_validate(values)


def test_summary_of_139_characters_is_accepted() -> None:
    assert len(card(summary="x" * 139).summary) == 139


def test_summary_of_140_characters_is_refused() -> None:
    with pytest.raises(ValidationError, match="shorter than 140"):
        card(summary="x" * 140)


def test_suggestions_require_selection_behavior() -> None:
    suggestion = Suggestion(label="do it")
    with pytest.raises(ValidationError, match="selectionBehavior"):
        card(suggestions=[suggestion])
    assert card(suggestions=[suggestion], selectionBehavior="any").selectionBehavior == "any"


def test_at_most_one_allows_only_one_recommended_suggestion() -> None:
    two = [Suggestion(label="a", isRecommended=True), Suggestion(label="b", isRecommended=True)]
    with pytest.raises(ValidationError, match="at most one recommended"):
        card(suggestions=two, selectionBehavior=SelectionBehavior.AT_MOST_ONE)


def test_override_reason_needs_display() -> None:
    with pytest.raises(ValidationError):
        OverrideReason.model_validate({"code": "c", "system": "s"})


def test_actions_carry_what_their_type_needs() -> None:
    with pytest.raises(ValidationError, match="carries the resource"):
        Action(type=ActionType.CREATE, description="x")
    with pytest.raises(ValidationError, match="resourceId"):
        Action(type=ActionType.DELETE, description="x")
    with pytest.raises(ValidationError, match="resourceType"):
        Action(type=ActionType.UPDATE, description="x", resource={"id": "1"})
    delete = Action(type=ActionType.DELETE, description="x", resourceId="MedicationRequest/1")
    assert delete.to_json_dict() == {
        "type": "delete",
        "description": "x",
        "resourceId": "MedicationRequest/1",
    }


def test_app_context_only_on_smart_links() -> None:
    with pytest.raises(ValidationError, match="appContext"):
        Link(label="l", url="https://x", type=LinkType.ABSOLUTE, appContext="a")
    assert Link(label="l", url="https://x", type=LinkType.SMART, appContext="a").appContext == "a"


def test_serialisation_drops_nulls_and_empty_lists_but_keeps_cards() -> None:
    assert CdsResponse().to_json_dict() == {"cards": []}
    body = CdsResponse(cards=[card(detail=None)]).to_json_dict()
    (only,) = body["cards"]
    assert set(only) == {"uuid", "summary", "indicator", "source"}
    assert only["source"] == {"label": "test"}


def test_every_card_gets_its_own_uuid() -> None:
    assert card().uuid != card().uuid


def test_indicator_urgency_orders_critical_first() -> None:
    ordered = sorted(Indicator, key=lambda i: -i.urgency)
    assert ordered == [Indicator.CRITICAL, Indicator.WARNING, Indicator.INFO]


def test_coding_requires_code_and_system() -> None:
    with pytest.raises(ValidationError):
        Coding.model_validate({"code": "x"})
