"""Which FHIR servers the service may contact, and which URLs are under them (SSRF defence).

A hook request names the ``fhirServer`` to fetch from, and the EHR's token goes with every
fetch: an attacker who could choose that URL could make the service call internal addresses
or hand a token to a host of their own. So a ``fhirServer`` is used only when it lies under a
base URL configured for the caller (the JWT issuer's ``fhir_servers``, or
``BACLOFEN_CDS_FHIR_ALLOWED_BASES`` with authentication off; loopback only, when that list is
empty), and every URL fetched, next pages and redirects included, must lie under that
``fhirServer``.

With authentication off and no allow-list (local development), only loopback servers may be
contacted: an open service must not fetch from any host on the caller's word, token in hand.

"Under" means same scheme, host and port, and a path equal to the base's or continuing it
after a ``/``. Only plain path segments are accepted: unreserved characters, the sub-delimiters
other than ``;`` (``..;`` is a dot segment to some servers), ``:``, ``@`` and single percent
escapes that decode to none of ``%``, ``/``, a backslash, ``;`` or a control character. URLs
with user information, ``.``/``..`` segments (also percent-encoded, or encoded twice),
backslashes or whitespace are refused rather than normalised: whatever a server would make
of them, they are not needed by an honest client. ``https`` is required except on loopback.
Which addresses a host name may resolve to is checked when connecting
(``service.fhir.network``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
NOT_ALLOWED = "fhirServer is not allowed for this caller"
LOOPBACK_ONLY = (
    "fhirServer is not allowed: with authentication off and no "
    "BACLOFEN_CDS_FHIR_ALLOWED_BASES, only loopback FHIR servers are contacted"
)
# A plain path segment: unreserved characters, sub-delimiters but ";", ":", "@", escapes.
_SEGMENT = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,=:@]|%[0-9A-Fa-f]{2}){0,1024}")
_NEVER_ENCODED = frozenset("%/\\;")


class NotPermittedError(ValueError):
    """The URL must not be contacted; the message is safe to show (it never quotes the URL)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class FhirBase:
    """A FHIR base URL, checked and normalised (no trailing slash)."""

    scheme: str
    host: str
    port: int
    path: str  # "" for the root; otherwise "/a/b"
    url: str

    @classmethod
    def parse(cls, text: str) -> FhirBase:
        scheme, host, port, path, query, fragment = _split(text)
        if query or fragment:
            raise NotPermittedError("must not have a query or a fragment")
        if scheme != "https" and not is_loopback(host):
            raise NotPermittedError("must use https (http is accepted only on loopback)")
        path = path.rstrip("/")
        return cls(scheme, host, port, path, text.rstrip("/"))

    def contains(self, url: str) -> bool:
        """Whether the absolute ``url`` lies under this base (see the module docstring)."""
        try:
            scheme, host, port, path, _, _ = _split(url)
        except NotPermittedError:
            return False
        return (scheme, host, port) == (self.scheme, self.host, self.port) and (
            path == self.path or path.startswith(self.path + "/")
        )

    def resolve(self, url: str) -> str:
        """The absolute URL of a query relative to this base, or of an absolute URL under it."""
        absolute = url if urlsplit(url).scheme else f"{self.url}/{url.lstrip('/')}"
        if not self.contains(absolute):
            raise NotPermittedError("the URL is not under the FHIR server's base URL")
        return absolute


def _split(text: str) -> tuple[str, str, int, str, str, str]:
    if not text.isprintable() or any(char in text for char in " \\"):
        raise NotPermittedError("must not contain whitespace, control characters or backslashes")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise NotPermittedError("must be an http or https URL")
    if "@" in parts.netloc:
        raise NotPermittedError("must not contain user information")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise NotPermittedError("has an invalid port") from None
    host = parts.hostname
    if not host:
        raise NotPermittedError("has no host")
    segments = parts.path.split("/")[1:]
    for index, segment in enumerate(segments):
        decoded = unquote(segment)
        if (
            not _SEGMENT.fullmatch(segment)
            or not _NEVER_ENCODED.isdisjoint(decoded)
            or not decoded.isprintable()
        ):
            raise NotPermittedError("must have plain path segments (no ';', no double encoding)")
        if decoded in (".", ".."):
            raise NotPermittedError("must not contain '.' or '..' segments or encoded slashes")
        if segment == "" and index != len(segments) - 1:
            raise NotPermittedError("must not contain empty path segments")
    return scheme, host, port, parts.path, parts.query, parts.fragment


def permitted_base(
    fhir_server: str, allowed_bases: Sequence[str], *, loopback_only: bool = False
) -> FhirBase:
    """``fhirServer`` as a base if it lies under one of ``allowed_bases`` (or, with
    ``loopback_only``, if it is on loopback); ``NotPermittedError`` if not."""
    try:
        base = FhirBase.parse(fhir_server)
    except NotPermittedError as error:
        raise NotPermittedError(f"fhirServer {error}") from None
    if loopback_only:
        if is_loopback(base.host):
            return base
        raise NotPermittedError(LOOPBACK_ONLY)
    for allowed in allowed_bases:
        try:
            if FhirBase.parse(allowed).contains(base.url):
                return base
        except NotPermittedError:
            continue  # a bad configured base matches nothing; settings validation reports it
    raise NotPermittedError(NOT_ALLOWED)


def check_allowed_bases(bases: list[str], setting: str) -> None:
    """Fail at start-up, naming the setting, if a configured base URL could never match."""
    for base in bases:
        try:
            FhirBase.parse(base)
        except NotPermittedError as error:
            raise ValueError(f"{setting}: {base!r} {error}") from None
