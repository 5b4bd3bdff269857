"""The verifier reads a compact JWS itself and checks its signature with the key's primitive:
it must be exactly as strict as PyJWT's full decode, which it replaced, on every spelling of a
token (padding, alphabet, non-canonical base64, critical header extensions)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwt.algorithms import RSAAlgorithm

from cds_hooks.jwks import parse_jwks
from cds_hooks.jwt import JwtVerifier, TokenRejected, TrustedIssuer
from tests.cds_hooks.test_jwt import AUD, NOW, Keys, Replay
from tests.tokens import (
    EPIC_ISS,
    EPIC_JKU,
    SANDBOX_ISS,
    SANDBOX_JKU,
    ec_key,
    epic_claims,
    rsa_key,
    sandbox_claims,
    sign,
)

# Claims are the verifier's own business; only the reading of the JWS is compared.
_SIGNATURE_ONLY = jwt.PyJWT(
    options={
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": False,
        "verify_iss": False,
        "verify_sub": False,
        "verify_jti": False,
        "enforce_minimum_key_length": True,
    }
)


def _verifier() -> JwtVerifier:
    keys = Keys({SANDBOX_ISS: parse_jwks(ec_key().jwks()), EPIC_ISS: parse_jwks(rsa_key().jwks())})
    issuers = {
        SANDBOX_ISS: TrustedIssuer(jwks_url=SANDBOX_JKU),
        EPIC_ISS: TrustedIssuer(jwks_url=EPIC_JKU),
    }
    return JwtVerifier(issuers, keys, Replay(), clock=lambda: NOW)


def _verdict(token: str) -> str:
    try:
        asyncio.run(_verifier().verify(token, AUD))
    except TokenRejected as rejection:
        return rejection.reason
    return "accepted"


def _pyjwt_verdict(token: str, issuer: str) -> str:
    key = (ec_key() if issuer == SANDBOX_ISS else rsa_key()).private.public_key()
    try:
        header = jwt.get_unverified_header(token)
        _SIGNATURE_ONLY.decode(token, key=key, algorithms=[header.get("alg", "")])
    except jwt.InvalidSignatureError:
        return "bad-signature"
    except jwt.PyJWTError:
        return "malformed"
    return "accepted"


def _tokens() -> dict[str, str]:
    return {
        SANDBOX_ISS: sign(sandbox_claims(AUD, NOW), ec_key(), jku=SANDBOX_JKU),
        EPIC_ISS: sign(epic_claims(AUD, NOW), rsa_key()),
    }


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_NOISE = st.sampled_from([*_ALPHABET[-8:], "=", "+", "/", " ", "\n", "!", "é"])


@st.composite
def _respelled(draw: st.DrawFn) -> tuple[str, str]:
    """A valid token with one of its three segments respelled, and its issuer."""
    issuer = draw(st.sampled_from([SANDBOX_ISS, EPIC_ISS]))
    segments = _tokens()[issuer].split(".")
    which = draw(st.integers(0, 2))
    segment = segments[which]
    kind = draw(st.sampled_from(["pad", "last", "insert", "delete", "trim"]))
    if kind == "pad":
        segment += "=" * draw(st.integers(1, 4))
    elif kind == "last" and segment:
        segment = segment[:-1] + draw(st.sampled_from(_ALPHABET))
    elif kind == "insert":
        at = draw(st.integers(0, len(segment)))
        segment = segment[:at] + draw(_NOISE) + segment[at:]
    elif kind == "delete" and segment:
        at = draw(st.integers(0, len(segment) - 1))
        segment = segment[:at] + segment[at + 1 :]
    elif kind == "trim":
        segment = segment[: draw(st.integers(0, len(segment)))]
    segments[which] = segment
    return ".".join(segments), issuer


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_respelled())
def test_a_respelled_token_is_accepted_exactly_when_pyjwt_accepts_it(
    case: tuple[str, str],
) -> None:
    token, issuer = case
    ours, theirs = _verdict(token), _pyjwt_verdict(token, issuer)
    assert (ours == "accepted") == (theirs == "accepted"), (token, ours, theirs)
    # A header or claims that no longer read as JSON objects are refused before any key is
    # fetched (and were before); once both read, the verdict is PyJWT's.
    if _reads_as_json(token):
        assert ours == theirs, token


def _reads_as_json(token: str) -> bool:
    try:
        return all(
            isinstance(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))), dict)
            for part in token.split(".")[:2]
        )
    except ValueError:
        return False


def _part(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed_by_hand(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """An RS384 token with exactly this header (PyJWT's encoder drops ``b64: true``)."""
    signing_input = f"{_part(json.dumps(header).encode())}.{_part(json.dumps(claims).encode())}"
    signature = RSAAlgorithm(RSAAlgorithm.SHA384).sign(signing_input.encode(), rsa_key().private)
    return f"{signing_input}.{_part(signature)}"


@pytest.mark.parametrize(
    ("extra", "accepted"),
    [
        ({"crit": ["b64"], "b64": True}, True),
        ({"crit": ["b64"]}, False),  # a critical extension that is not there
        ({"crit": []}, False),
        ({"crit": "b64", "b64": True}, False),
        ({"crit": ["exp"], "exp": 1}, False),  # not understood
        ({"crit": [1]}, False),
        ({"crit": ["b64"], "b64": False}, False),  # an unencoded payload is never expected
        ({"b64": False}, False),
        ({"b64": 0}, True),  # only JSON false means an unencoded payload
    ],
)
def test_critical_header_extensions_as_pyjwt(extra: dict[str, Any], accepted: bool) -> None:
    header = {"alg": "RS384", "typ": "JWT", "kid": rsa_key().kid, **extra}
    token = _signed_by_hand(header, epic_claims(AUD, NOW))
    assert (_verdict(token) == "accepted") is accepted
    assert (_pyjwt_verdict(token, EPIC_ISS) == "accepted") is accepted


def test_a_header_changed_after_signing_fails_the_signature() -> None:
    token = sign(epic_claims(AUD, NOW), rsa_key())
    header = _part(json.dumps({**jwt.get_unverified_header(token), "x": 1}).encode())
    assert _verdict(".".join([header, *token.split(".")[1:]])) == "bad-signature"
