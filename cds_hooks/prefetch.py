"""Prefetch templates: rendering ``{{context.x}}`` and the user tokens into FHIR queries.

CDS Hooks 2.0.1 §Prefetch tokens allows only two kinds of token:

* ``{{context.<field>}}`` for a first-level primitive field of the hook's context;
* ``{{userPractitionerId}}``, ``{{userPractitionerRoleId}}``, ``{{userPatientId}}`` and
  ``{{userRelatedPersonId}}``, the id part of ``context.userId`` when it names that type.

A token that cannot be resolved makes the whole template unusable (the sandbox omits such keys
too); the caller decides what an unresolvable key means.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

_TOKEN = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")

USER_TOKENS: Mapping[str, str] = {
    "userPractitionerId": "Practitioner",
    "userPractitionerRoleId": "PractitionerRole",
    "userPatientId": "Patient",
    "userRelatedPersonId": "RelatedPerson",
}


class UnresolvableTokenError(ValueError):
    """A template token has no value in this request's context."""

    def __init__(self, token: str) -> None:
        super().__init__(f"prefetch token {{{{{token}}}}} has no value in this context")
        self.token = token


def template_tokens(template: str) -> list[str]:
    """The tokens a template uses, in order of appearance."""
    return [match.group(1) for match in _TOKEN.finditer(template)]


def validate_template(template: str) -> None:
    """Raise ``ValueError`` for a token the 2.0 specification does not allow."""
    for token in template_tokens(template):
        if token in USER_TOKENS:
            continue
        if token.startswith("context.") and "." not in token[len("context.") :]:
            continue
        raise ValueError(f"prefetch token {{{{{token}}}}} is not allowed by CDS Hooks 2.0")


def _token_value(token: str, context: Mapping[str, Any]) -> str:
    if token in USER_TOKENS:
        user = context.get("userId")
        if isinstance(user, str):
            resource_type, _, user_id = user.partition("/")
            if resource_type == USER_TOKENS[token] and user_id and "/" not in user_id:
                return user_id
        raise UnresolvableTokenError(token)
    if token.startswith("context."):
        value = context.get(token[len("context.") :])
        # Only primitives may be substituted; a Bundle or a list has no query form.
        if isinstance(value, bool) or not isinstance(value, str | int | float) or value == "":
            raise UnresolvableTokenError(token)
        return str(value)
    raise UnresolvableTokenError(token)


def render_template(template: str, context: Mapping[str, Any]) -> str:
    """Substitute every token; values are percent-encoded so they cannot alter the query."""

    def substitute(match: re.Match[str]) -> str:
        return quote(_token_value(match.group(1), context), safe="-._~")

    return _TOKEN.sub(substitute, template)
