"""The CDS Hooks JWT verifier: what it accepts, and the reason it gives for each refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from cds_hooks.jwks import KeySet, PublicKey, parse_jwks
from cds_hooks.jwt import (
    JwtVerifier,
    TimePolicy,
    TokenRejected,
    TrustedIssuer,
    bearer_token,
    same_url,
)
from tests.tokens import (
    EPIC_CLIENT_ID,
    EPIC_ISS,
    EPIC_JKU,
    SANDBOX_ISS,
    SANDBOX_JKU,
    SANDBOX_KID,
    ec_key,
    epic_claims,
    epic_token,
    rsa_key,
    sandbox_claims,
    sandbox_token,
    sign,
    unsigned,
)

NOW = 1_795_000_000.0
AUD = "https://cds.example.org/cds-services/baclofen-order-sign"


class Keys:
    """Key sets by issuer, with the lookups made."""

    def __init__(self, sets: dict[str, KeySet]) -> None:
        self.sets = sets
        self.lookups: list[tuple[str, str]] = []
        self.unavailable = False

    async def key(self, issuer: str, kid: str) -> PublicKey | None:
        self.lookups.append((issuer, kid))
        if self.unavailable:
            raise TokenRejected("keys-unavailable")
        return self.sets[issuer].get(kid)


class Replay:
    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.down = False

    async def first_use(self, key: str, ttl_seconds: int) -> bool:
        if self.down:
            raise TokenRejected("replay-check-unavailable")
        if key in self.seen:
            return False
        self.seen[key] = ttl_seconds
        return True


def make_verifier(
    tenants: frozenset[str] = frozenset(), now: float = NOW
) -> tuple[JwtVerifier, Keys, Replay]:
    keys = Keys(
        {
            SANDBOX_ISS: parse_jwks(ec_key().jwks()),
            EPIC_ISS: parse_jwks(rsa_key().jwks()),
        }
    )
    replay = Replay()
    issuers = {
        SANDBOX_ISS: TrustedIssuer(jwks_url=SANDBOX_JKU),
        EPIC_ISS: TrustedIssuer(jwks_url=EPIC_JKU, tenants=tenants),
    }
    return JwtVerifier(issuers, keys, replay, clock=lambda: now), keys, replay


async def rejection(token: str, audience: str = AUD, **kwargs: Any) -> TokenRejected:
    verifier, _, _ = make_verifier(**kwargs)
    with pytest.raises(TokenRejected) as caught:
        await verifier.verify(token, audience)
    return caught.value


async def test_accepts_a_sandbox_token() -> None:
    verifier, keys, replay = make_verifier()
    verified = await verifier.verify(sandbox_token(AUD, NOW), AUD)
    assert (verified.issuer, verified.kid, verified.alg) == (SANDBOX_ISS, SANDBOX_KID, "ES384")
    assert verified.subject is None and verified.tenant is None
    assert keys.lookups == [(SANDBOX_ISS, SANDBOX_KID)]
    # Remembered until exp + 60 s leeway (+1 s), not a fixed hour.
    assert list(replay.seen.values()) == [300 + 60 + 1]


async def test_accepts_an_epic_token_with_nbf_and_sub() -> None:
    verifier, _, _ = make_verifier()
    verified = await verifier.verify(epic_token(AUD, NOW), AUD)
    assert verified.alg == "RS384"
    assert verified.subject == EPIC_CLIENT_ID
    assert verified.expires_at == int(NOW) + 900


@pytest.mark.parametrize("alg", ["ES256", "ES512"])
async def test_accepts_the_other_ec_curves(alg: str) -> None:
    key = ec_key(kid=f"k-{alg}", alg=alg)
    verifier = JwtVerifier(
        {SANDBOX_ISS: TrustedIssuer()},
        Keys({SANDBOX_ISS: parse_jwks(key.jwks())}),
        Replay(),
        clock=lambda: NOW,
    )
    assert (await verifier.verify(sign(sandbox_claims(AUD, NOW), key), AUD)).alg == alg


@pytest.mark.parametrize("alg", ["RS256", "RS512"])
async def test_accepts_the_other_rsa_hashes_with_a_key_not_bound_to_one(alg: str) -> None:
    key = rsa_key()
    jwks = {"keys": [{k: v for k, v in key.public_jwk().items() if k != "alg"}]}
    verifier = JwtVerifier(
        {EPIC_ISS: TrustedIssuer()},
        Keys({EPIC_ISS: parse_jwks(jwks)}),
        Replay(),
        clock=lambda: NOW,
    )
    assert (await verifier.verify(sign(epic_claims(AUD, NOW), key, alg=alg), AUD)).alg == alg


async def test_audience_may_be_an_array_and_ignores_a_trailing_slash_and_host_case() -> None:
    verifier, _, _ = make_verifier()
    other = "https://elsewhere.example/cds-services/x"
    await verifier.verify(sandbox_token([other, AUD + "/"], NOW), AUD)
    upper = AUD.replace("cds.example.org", "CDS.Example.org:443")
    await verifier.verify(sandbox_token(upper, NOW), AUD)


async def test_small_clock_differences_are_tolerated() -> None:
    verifier, _, _ = make_verifier()
    # The sandbox's clock runs up to a second ahead: iat slightly in our future.
    await verifier.verify(sandbox_token(AUD, NOW, iat=int(NOW) + 2), AUD)
    # Expired 30 s ago, within the 60 s leeway; nbf 30 s ahead, likewise.
    await verifier.verify(sandbox_token(AUD, NOW, exp=int(NOW) - 30), AUD)
    await verifier.verify(epic_token(AUD, NOW, nbf=int(NOW) + 30), AUD)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "malformed"),
        ("not-a-jwt", "malformed"),
        ("a.b.c", "malformed"),
        ("x" * 20_000 + ".a.b", "malformed"),
        # a header nested 5,000 levels deep: refused, not a RecursionError
        (base64.urlsafe_b64encode(b"[" * 5000).rstrip(b"=").decode() + ".e30.x", "malformed"),
        (unsigned({"alg": "ES384", "kid": SANDBOX_KID}, {"iss": SANDBOX_ISS}) + ".x", "malformed"),
    ],
)
async def test_malformed_tokens(token: str, reason: str) -> None:
    assert (await rejection(token)).reason == reason


async def test_alg_none_is_refused_before_any_key_lookup() -> None:
    verifier, keys, _ = make_verifier()
    token = unsigned({"alg": "none", "typ": "JWT", "kid": SANDBOX_KID}, sandbox_claims(AUD, NOW))
    with pytest.raises(TokenRejected) as caught:
        await verifier.verify(token, AUD)
    assert caught.value.reason == "alg-not-allowed"
    assert keys.lookups == []


async def test_hmac_is_refused_even_with_the_public_key_as_secret() -> None:
    # The classic confusion attack: HS256 "signed" with the issuer's public key as the secret.
    secret = (
        ec_key()
        .private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": SANDBOX_KID, "jku": SANDBOX_JKU}
    claims = sandbox_claims(AUD, NOW)
    signing_input = unsigned(header, claims).rsplit(".", 1)[0]
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    token = unsigned(header, claims, mac)
    assert token.rsplit(".", 1)[0] == signing_input
    assert (await rejection(token)).reason == "alg-not-allowed"


async def test_ps256_is_not_on_the_list() -> None:
    token = sign(epic_claims(AUD, NOW), rsa_key(), alg="PS256")
    assert (await rejection(token)).reason == "alg-not-allowed"


async def test_signature_by_another_key_with_the_same_kid() -> None:
    impostor = ec_key(kid="impostor")
    token = sign(sandbox_claims(AUD, NOW), impostor, kid=SANDBOX_KID, jku=SANDBOX_JKU)
    rejected = await rejection(token)
    assert (rejected.reason, rejected.issuer, rejected.kid) == (
        "bad-signature",
        SANDBOX_ISS,
        SANDBOX_KID,
    )


async def test_tampered_payload_fails_the_signature() -> None:
    header, _, signature = sandbox_token(AUD, NOW).split(".")
    forged = unsigned({}, sandbox_claims([AUD, "x"], NOW)).split(".")[1]
    assert (await rejection(f"{header}.{forged}.{signature}")).reason == "bad-signature"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (lambda: sign(sandbox_claims(AUD, NOW), ec_key(kid="nobody")), "unknown-kid"),
        (lambda: sandbox_token(AUD, NOW, iss="https://evil.example"), "unknown-issuer"),
        (lambda: sandbox_token(AUD, NOW, iss=None), "missing-claim"),
        (
            lambda: sandbox_token("https://cds.example.org/cds-services/other", NOW),
            "wrong-audience",
        ),
        (
            lambda: sandbox_token("https://evil.example/cds-services/baclofen-order-sign", NOW),
            "wrong-audience",
        ),
        (lambda: sandbox_token(AUD.replace("://", "://someone@"), NOW), "wrong-audience"),
        (lambda: sandbox_token(AUD + "#fragment", NOW), "wrong-audience"),
        (lambda: sandbox_token(AUD, NOW, exp=int(NOW) - 61), "expired"),
        (
            lambda: sandbox_token(AUD, NOW, iat=int(NOW) + 3600, exp=int(NOW) + 3900),
            "issued-in-future",
        ),
        (lambda: epic_token(AUD, NOW, nbf=int(NOW) + 120), "not-yet-valid"),
        (lambda: sandbox_token(AUD, NOW, exp=int(NOW) + 7200), "lifetime-too-long"),
        (lambda: sandbox_token(AUD, NOW, jti=None), "missing-claim"),
        (lambda: sandbox_token(AUD, NOW, jti=""), "missing-claim"),
        (lambda: sandbox_token(AUD, NOW, jti=42), "malformed"),
        (lambda: sandbox_token(AUD, NOW, jti="j" * 600), "malformed"),
        (lambda: sandbox_token(None, NOW), "missing-claim"),
        (lambda: sandbox_token([AUD, 7], NOW), "malformed"),
        (lambda: sandbox_token(AUD, NOW, exp=None), "missing-claim"),
        (lambda: sandbox_token(AUD, NOW, iat=None), "missing-claim"),
        (lambda: sandbox_token(AUD, NOW, exp="tomorrow"), "malformed"),
        (lambda: sandbox_token(AUD, NOW, iat=True), "malformed"),
        (lambda: epic_token(AUD, NOW, nbf="now"), "malformed"),
        (lambda: epic_token(AUD, NOW, sub=12), "malformed"),
        (lambda: sign(sandbox_claims(AUD, NOW), ec_key(), kid=None), "missing-claim"),
        (lambda: sign(sandbox_claims(AUD, NOW), ec_key(), typ="at+jwt"), "malformed"),
        (
            lambda: sign(sandbox_claims(AUD, NOW), ec_key(), jku="https://evil.example/jwks.json"),
            "jku-not-allowed",
        ),
        (lambda: sign(sandbox_claims(AUD, NOW), ec_key(), jku=7), "jku-not-allowed"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
async def test_refusals_name_their_reason(token: Any, reason: str) -> None:
    assert (await rejection(token())).reason == reason


async def test_a_key_of_the_wrong_type_or_curve_is_a_mismatch() -> None:
    p256 = ec_key(kid=SANDBOX_KID + "-p256", alg="ES256")
    unbound = p256.public_jwk(kid=SANDBOX_KID)
    del unbound["alg"]
    mixed = {"keys": [unbound]}
    verifier = JwtVerifier(
        {SANDBOX_ISS: TrustedIssuer()},
        Keys({SANDBOX_ISS: parse_jwks(mixed)}),
        Replay(),
        clock=lambda: NOW,
    )
    with pytest.raises(TokenRejected) as caught:
        await verifier.verify(sign(sandbox_claims(AUD, NOW), ec_key()), AUD)  # ES384 vs P-256
    assert caught.value.reason == "key-mismatch"
    # An ES384 token whose kid names the issuer's RSA key.
    token = sign(epic_claims(AUD, NOW), ec_key(), kid=rsa_key().kid, jku=EPIC_JKU)
    assert (await rejection(token)).reason == "key-mismatch"


async def test_replayed_jti_is_refused_and_logged_with_it() -> None:
    verifier, _, _ = make_verifier()
    token = sandbox_token(AUD, NOW, jti="once-only")
    await verifier.verify(token, AUD)
    with pytest.raises(TokenRejected) as caught:
        await verifier.verify(token, AUD)
    assert (caught.value.reason, caught.value.jti) == ("replayed", "once-only")


async def test_same_jti_from_two_issuers_is_not_a_replay() -> None:
    verifier, _, replay = make_verifier()
    await verifier.verify(sandbox_token(AUD, NOW, jti="shared"), AUD)
    await verifier.verify(epic_token(AUD, NOW, jti="shared"), AUD)
    assert len(replay.seen) == 2


async def test_an_invalid_token_does_not_use_up_its_jti() -> None:
    verifier, _, replay = make_verifier()
    with pytest.raises(TokenRejected):
        await verifier.verify(sandbox_token("https://wrong.example/", NOW, jti="j1"), AUD)
    assert replay.seen == {}


async def test_tenant_is_checked_when_the_issuer_has_tenants() -> None:
    tenants = frozenset({"hospital-a"})
    verifier, _, _ = make_verifier(tenants=tenants)
    assert (await verifier.verify(epic_token(AUD, NOW, tenant="hospital-a"), AUD)).tenant == (
        "hospital-a"
    )
    assert (await rejection(epic_token(AUD, NOW, tenant="hospital-b"), tenants=tenants)).reason == (
        "wrong-tenant"
    )
    assert (await rejection(epic_token(AUD, NOW), tenants=tenants)).reason == "wrong-tenant"
    # Without tenants configured, a tenant claim is carried but not checked.
    verifier, _, _ = make_verifier()
    assert (await verifier.verify(epic_token(AUD, NOW, tenant="any"), AUD)).tenant == "any"


async def test_unavailable_keys_and_replay_cache_refuse_the_call() -> None:
    verifier, keys, replay = make_verifier()
    keys.unavailable = True
    with pytest.raises(TokenRejected) as caught:
        await verifier.verify(sandbox_token(AUD, NOW), AUD)
    assert (caught.value.reason, caught.value.issuer) == ("keys-unavailable", SANDBOX_ISS)
    keys.unavailable, replay.down = False, True
    with pytest.raises(TokenRejected) as caught:
        await verifier.verify(sandbox_token(AUD, NOW), AUD)
    assert caught.value.reason == "replay-check-unavailable"


async def test_logged_values_from_unverified_tokens_are_bounded() -> None:
    rejected = await rejection(sandbox_token(AUD, NOW, iss="https://x.example/" + "a" * 5000))
    assert rejected.reason == "unknown-issuer"
    assert rejected.issuer is not None and len(rejected.issuer) == 200


async def test_time_policy_is_adjustable() -> None:
    verifier, _, _ = make_verifier()
    verifier.policy = TimePolicy(leeway_s=0)
    with pytest.raises(TokenRejected):
        await verifier.verify(sandbox_token(AUD, NOW, exp=int(NOW) - 1), AUD)


def test_real_clock_is_the_default() -> None:
    verifier = JwtVerifier({}, Keys({}), Replay())
    assert abs(verifier.clock() - time.time()) < 5


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc.def.ghi", "abc.def.ghi"), ("bearer  abc.def.ghi ", "abc.def.ghi")],
)
def test_bearer_token(header: str, token: str) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwdw==", "abc"])
def test_missing_bearer_token(header: str | None) -> None:
    with pytest.raises(TokenRejected) as caught:
        bearer_token(header)
    assert caught.value.reason == "missing-token"


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("https://a.example/x", "https://A.EXAMPLE/x/", True),
        ("https://a.example:443/x", "https://a.example/x", True),
        ("https://a.example/x", "http://a.example/x", False),
        ("https://a.example/x", "https://a.example/X", False),
        ("https://a.example/x", "https://a.example.evil/x", False),
        ("https://a.example:99999/x", "https://a.example/x", False),
        # Were equal: user information and fragments were not compared.
        ("https://evil@a.example/x", "https://a.example/x", False),
        ("https://u:p@a.example/x", "https://a.example/x", False),
        ("https://a.example/x#frag", "https://a.example/x", False),
        ("https://a.example/x#", "https://a.example/x", True),
    ],
)
def test_same_url(left: str, right: str, same: bool) -> None:
    assert same_url(left, right) is same
