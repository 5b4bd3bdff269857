"""Trusting the caller: the EHR's JWT verified against its issuer's keys.

``keys`` holds the trusted issuers' public keys, ``replay`` the ``jti`` replay cache,
``authenticator`` turns a request into a verified ``Caller``. The protocol-level checks live in
``cds_hooks.jwt``.
"""

from service.auth.authenticator import Authenticator, audience_of

__all__ = ["Authenticator", "audience_of"]
