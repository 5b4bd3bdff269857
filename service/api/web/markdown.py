"""Card details are CommonMark written from the patient's record: rendered without raw HTML.

A detail quotes record text (a medication's name, a condition's label), which an EHR or a
patient portal may have let anyone type. The renderer therefore escapes every HTML tag in the
source, refuses link targets other than http(s) and relative ones, and renders no images (a
remote image would be a request to wherever the text points).
"""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_MARKDOWN_CHARS = 20_000  # far above any card detail; bounds the work on hostile input
SAFE_SCHEMES = frozenset({"http", "https", ""})


def safe_url(url: str) -> bool:
    """http(s) or relative: no javascript:, data:, file: or any other scheme."""
    text = url.strip()
    if not text or any(ord(ch) < 0x20 for ch in text) or "\\" in text:
        return False
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return False
    return scheme in SAFE_SCHEMES


@cache
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").disable("image")
    md.validateLink = safe_url  # type: ignore[method-assign]
    return md


def render_markdown(text: str) -> Markup:
    """HTML for ``text``; every tag in it is shown as text, never interpreted."""
    html = _renderer().render(text[:MAX_MARKDOWN_CHARS])
    # Safe to mark: with html disabled markdown-it escapes every tag of its input.
    return Markup(html)
