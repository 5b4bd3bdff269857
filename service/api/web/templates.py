"""The template environment: HTML and SVG templates shipped in the package, always autoescaped."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

# Pages load styles and scripts from the service itself and nothing else; a page without
# scripts says so by leaving script-src out (default-src 'none' then forbids them).
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SCRIPTED_PAGE_POLICY = PAGE_POLICY + "; script-src 'self'; connect-src 'self'"


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("service.api.web", "templates"),
        # Every template is HTML or SVG: escape whatever its name.
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a misspelt variable is an error, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def page(template: str, *, scripted: bool = False, **context: Any) -> HTMLResponse:
    """A whole page, with the content security policy its kind needs."""
    policy = SCRIPTED_PAGE_POLICY if scripted else PAGE_POLICY
    return HTMLResponse(
        render(template, **context),
        headers={"content-security-policy": policy},
    )
