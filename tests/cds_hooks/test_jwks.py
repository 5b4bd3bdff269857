"""Parsing JSON Web Key Sets: usable signing keys kept, everything else left out and named."""

from __future__ import annotations

from typing import Any

import pytest

from cds_hooks.jwks import JwksError, parse_jwks
from tests.tokens import ec_key, rsa_key


def test_keeps_rsa_and_ec_signing_keys_by_kid() -> None:
    ec, rsa = ec_key(), rsa_key()
    keys = parse_jwks({"keys": [ec.public_jwk(), rsa.public_jwk()]})
    assert set(keys.keys) == {ec.kid, rsa.kid}
    assert keys.skipped == ()
    found = keys.get(ec.kid)
    assert found is not None and found.fits("ES384") and not found.fits("ES256")
    assert not found.fits("RS384") and not found.fits("HS256") and not found.fits("none")
    assert keys.get("nobody") is None


def test_a_key_bound_to_one_algorithm_fits_only_that_one() -> None:
    keys = parse_jwks({"keys": [rsa_key().public_jwk(alg="RS384")]})
    key = keys.get(rsa_key().kid)
    assert key is not None and key.fits("RS384") and not key.fits("RS256")


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("text", "not a JSON object"),
        ({"kty": "EC"}, "without a kid"),
        ({**ec_key().public_jwk(), "use": "enc"}, "not a signing key"),
        ({"kid": "h", "kty": "oct", "k": "c2VjcmV0"}, "not RSA or EC"),
        ({**ec_key().public_jwk(), "alg": "HS256"}, "not accepted"),
        ({**ec_key().public_jwk(), "crv": "secp256k1"}, "curve"),
        ({**ec_key().public_jwk(), "x": "AAAA"}, "invalid"),
        ({**ec_key().public_jwk(), "d": "c2VjcmV0"}, "private key material"),
        (rsa_key(kid="short", bits=1024).public_jwk(), "shorter than 2048"),
    ],
)
def test_unusable_entries_are_skipped_with_a_reason(entry: Any, why: str) -> None:
    keys = parse_jwks({"keys": [entry, rsa_key().public_jwk()]})
    assert list(keys.keys) == [rsa_key().kid]
    assert len(keys.skipped) == 1 and why in keys.skipped[0]


def test_a_second_key_with_the_same_kid_is_skipped() -> None:
    first = rsa_key().public_jwk()
    keys = parse_jwks({"keys": [first, {**ec_key().public_jwk(), "kid": first["kid"]}]})
    key = keys.get(first["kid"])
    assert key is not None and key.kty == "RSA"
    assert "second key" in keys.skipped[0]


@pytest.mark.parametrize("document", [None, [], {"keys": {}}, {"key": []}, "{}"])
def test_not_a_key_set(document: Any) -> None:
    with pytest.raises(JwksError):
        parse_jwks(document)
