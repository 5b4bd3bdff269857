"""Text from the record appears on cards as text: no markup, and no link.

Found by a penetration test: a bare ``https://...``, ``www....`` or an e-mail address in a
condition's or a medicine's text became a clickable link in the card's detail (GitHub-flavoured
Markdown's autolinks, which no backslash escape prevents). Checked with GitHub's own renderer.
"""

from __future__ import annotations

from html import unescape

import cmarkgfm
import pytest

from service.present.cards import escape_markdown
from tests import factories as f
from tests.clinical.conftest import Assess, cards_by_code

RECORD_TEXTS = [
    "see https://evil.example/refill",
    "HTTP://EVIL.EXAMPLE",
    "www.evil.example",
    "Www.Evil.Example/x",
    "write to pharmacist@evil.example",
    "mailto:pharmacist@evil.example",
    "ftp://evil.example",
    "[click](https://evil.example)",
    "<a href='https://evil.example'>x</a>",
    "**bold** _it_ `code` # heading",
]


@pytest.mark.parametrize("text", RECORD_TEXTS)
def test_record_text_renders_as_text(text: str) -> None:
    html = cmarkgfm.github_flavored_markdown_to_html(escape_markdown(text))
    assert "<a " not in html and "<strong>" not in html and "<em>" not in html
    assert "<code>" not in html and "<h1>" not in html
    # What a reader sees is the text as written (the zero-width spaces show as nothing).
    paragraph = html.strip().removeprefix("<p>").removesuffix("</p>")
    assert unescape(paragraph).replace("\u200b", "") == text


def test_a_link_in_a_condition_name_is_no_link_on_the_card(run: Assess) -> None:
    epilepsy = f.condition(icd10="G40.9", text="Epilepsy - notes at https://evil.example/x")
    request = f.hook_request([f.med_request()], conditions=[epilepsy])
    card = cards_by_code(run(request))["contraindication-epilepsy"]
    html = cmarkgfm.github_flavored_markdown_to_html(card.detail or "")
    assert "https://evil.example/x" in unescape(html).replace("\u200b", "")  # shown, as text
    assert "<a " not in html
