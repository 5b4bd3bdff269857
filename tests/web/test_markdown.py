"""Card details rendered as markdown without raw HTML, scripts or unsafe links."""

from __future__ import annotations

import pytest

from service.api.web.markdown import render_markdown, safe_url

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<div onclick=alert(1)>block</div>\n\nafter",
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    "<!-- comment --><style>body{display:none}</style>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_html_in_the_source_is_shown_as_text(text: str) -> None:
    html = str(render_markdown(f"**Ordered:** {text}"))
    assert "<strong>Ordered:</strong>" in html
    for tag in (
        "<script",
        "<img",
        "<div",
        "<iframe",
        "<svg",
        "<style",
        "<!--",
        '<a href="javascript',
    ):
        assert tag not in html
    assert "&lt;" in html


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](file:///etc/passwd)",
        "[x](java\tscript:alert(1))",
        "<javascript:alert(1)>",
    ],
)
def test_unsafe_link_targets_are_not_links(link: str) -> None:
    html = str(render_markdown(link))
    assert "href" not in html


def test_http_links_stay_links_and_images_are_not_loaded() -> None:
    html = str(
        render_markdown("[rule](https://cds.example.org/knowledge/rules/x) ![i](https://x/i.png)")
    )
    assert '<a href="https://cds.example.org/knowledge/rules/x">rule</a>' in html
    assert "<img" not in html


def test_the_markdown_cards_use_is_rendered() -> None:
    html = str(render_markdown("**Why:** because\n\n- one\n- two\n\nRule `dose-above-max`."))
    assert "<strong>Why:</strong>" in html
    assert "<li>one</li>" in html
    assert "<code>dose-above-max</code>" in html


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://a.example/x", True),
        ("http://127.0.0.1:8080/schedules/view?s=1", True),
        ("/knowledge/rules/x", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("data:text/html,x", False),
        ("https://a.example/\\x", False),
        ("", False),
    ],
)
def test_safe_url(url: str, safe: bool) -> None:
    assert safe_url(url) is safe
