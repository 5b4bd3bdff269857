"""Cards as an EHR shows them: indicator, summary, the detail's markdown, source, links and
suggestion buttons. The page's script posts the service's answer here and shows the HTML.

Card text is untrusted: details quote the patient's record, and the page shows whatever JSON it
is given. Every string goes through the template's escaping, the detail through the markdown
renderer without raw HTML, and only http(s) URLs become links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from service.api.web.markdown import render_markdown, safe_url

MAX_CARDS = 100
MAX_TEXT = 2_000  # a summary, a label: the specification asks < 140 characters for a summary
ORDER = {"critical": 0, "warning": 1, "info": 2}


class CardShapeError(ValueError):
    """The body is not a CDS Hooks answer's cards."""


@dataclass(frozen=True)
class LinkView:
    label: str
    url: str | None  # None: not an http(s) link (a SMART app, or a refused scheme)
    kind: str


@dataclass(frozen=True)
class SuggestionView:
    uuid: str
    label: str
    recommended: bool
    actions: list[str]


@dataclass(frozen=True)
class CardView:
    uuid: str
    indicator: str
    summary: str
    detail: Markup
    source_label: str
    source_url: str | None
    rule: str
    links: list[LinkView]
    suggestions: list[SuggestionView]
    override_reasons: int


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _url(value: Any) -> str | None:
    text = _text(value)
    return text if text and safe_url(text) else None


def _action_text(action: dict[str, Any]) -> str:
    description = _text(action.get("description"))
    if description:
        return description
    resource = _dict(action.get("resource"))
    target = _text(action.get("resourceId")) or _text(resource.get("resourceType"))
    return f"{_text(action.get('type')) or 'change'} {target}".strip()


def _card(card: Any) -> CardView:
    if not isinstance(card, dict):
        raise CardShapeError("each card must be a JSON object")
    source = _dict(card.get("source"))
    indicator = _text(card.get("indicator"))
    return CardView(
        uuid=_text(card.get("uuid"), 256),
        indicator=indicator if indicator in ORDER else "info",
        summary=_text(card.get("summary")),
        detail=render_markdown(_text(card.get("detail"), 20_000)),
        source_label=_text(source.get("label")),
        source_url=_url(source.get("url")),
        rule=_text(_dict(source.get("topic")).get("code"), 256),
        links=[
            LinkView(
                _text(link.get("label")) or "link",
                _url(link.get("url")) if link.get("type", "absolute") == "absolute" else None,
                _text(link.get("type")) or "absolute",
            )
            for link in map(_dict, _list(card.get("links")))
        ],
        suggestions=[
            SuggestionView(
                uuid=_text(suggestion.get("uuid"), 256),
                label=_text(suggestion.get("label")) or "Apply the suggestion",
                recommended=suggestion.get("isRecommended") is True,
                actions=[_action_text(a) for a in map(_dict, _list(suggestion.get("actions")))],
            )
            for suggestion in map(_dict, _list(card.get("suggestions")))
        ],
        override_reasons=len(_list(card.get("overrideReasons"))),
    )


def card_views(body: Any) -> list[CardView]:
    """The cards of a CDS Hooks answer (``{"cards": [...]}``), most severe first."""
    cards = body.get("cards") if isinstance(body, dict) else None
    if not isinstance(cards, list):
        raise CardShapeError("the body must be a CDS Hooks answer: an object with a cards list")
    if len(cards) > MAX_CARDS:
        raise CardShapeError(f"at most {MAX_CARDS} cards are shown")
    views = [_card(card) for card in cards]
    return sorted(views, key=lambda view: ORDER[view.indicator])
