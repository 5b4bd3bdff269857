"""Authentication over HTTP: who gets in, the 401 everyone else gets, and the Caller it yields."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cds_hooks.request import HookRequest
from cds_hooks.resolution import Fetcher
from service.api.dependencies import services_of_app
from service.auth.caller import Caller
from service.auth.keys import IssuerKeys
from service.clinical.knowledge import Knowledge
from tests.auth_support import (
    SANDBOX_FHIR,
    TENANT,
    TENANT_FHIR,
    TENANT_ISS,
    TENANT_KID,
    JwksServer,
    bearer,
    client_for,
    make_auth_app,
    rejections,
)
from tests.conftest import codes
from tests.tokens import (
    EPIC_CLIENT_ID,
    EPIC_FHIR,
    EPIC_ISS,
    EPIC_JKU,
    SANDBOX_ISS,
    SANDBOX_JKU,
    SANDBOX_KID,
    audience,
    ec_key,
    epic_token,
    sandbox_claims,
    sandbox_token,
    sign,
    unsigned,
)

SIGN = "/cds-services/baclofen-order-sign"
AUD = audience(SIGN)

Scenario = Callable[[str], dict[str, Any]]


@pytest.fixture
def jwks() -> JwksServer:
    return JwksServer()


@pytest.fixture
async def http(knowledge: Knowledge, jwks: JwksServer) -> Any:
    async with client_for(make_auth_app(knowledge, jwks)) as client:
        yield client


async def test_sandbox_style_token_is_accepted(
    http: httpx.AsyncClient, jwks: JwksServer, scenario: Scenario
) -> None:
    response = await http.post(SIGN, json=scenario("03"), headers=bearer(sandbox_token(AUD)))
    assert response.status_code == 200, response.text
    assert codes(response.json())["dose-above-max"] == "critical"
    assert jwks.requests == [SANDBOX_JKU]
    # The key set is cached: a second call fetches nothing.
    await http.post(SIGN, json=scenario("03"), headers=bearer(sandbox_token(AUD)))
    assert jwks.requests == [SANDBOX_JKU]


async def test_epic_style_token_is_accepted(
    http: httpx.AsyncClient, jwks: JwksServer, scenario: Scenario
) -> None:
    response = await http.post(SIGN, json=scenario("03"), headers=bearer(epic_token(AUD)))
    assert response.status_code == 200, response.text
    assert jwks.requests == [EPIC_JKU]


async def test_inline_keys_and_a_tenant(http: httpx.AsyncClient, scenario: Scenario) -> None:
    claims = sandbox_claims(AUD, iss=TENANT_ISS, tenant=TENANT)
    response = await http.post(
        SIGN, json=scenario("03"), headers=bearer(sign(claims, ec_key(TENANT_KID)))
    )
    assert response.status_code == 200, response.text


async def test_keys_pinned_for_an_issuer_that_names_a_jku(
    knowledge: Knowledge, jwks: JwksServer, scenario: Scenario
) -> None:
    # The sandbox names its public key set's URL in every token; pinned, its keys are used
    # as configured and that URL is never fetched (an offline test of the sandbox).
    pinned = {SANDBOX_ISS: {"jwks_url": SANDBOX_JKU, "jwks": ec_key().jwks()}}
    async with client_for(make_auth_app(knowledge, jwks, trusted_issuers=pinned)) as http:
        accepted = await http.post(SIGN, json=scenario("03"), headers=bearer(sandbox_token(AUD)))
        assert accepted.status_code == 200, accepted.text
        other_jku = sign(sandbox_claims(AUD), ec_key(), jku="https://elsewhere.example/jwks")
        before = rejections("jku-not-allowed")
        refused = await http.post(SIGN, json=scenario("03"), headers=bearer(other_jku))
        assert refused.status_code == 401
        assert rejections("jku-not-allowed") - before == 1
    assert jwks.requests == []


def _no_token() -> dict[str, str]:
    return {}


def _header(token: str) -> Callable[[], dict[str, str]]:
    return lambda: bearer(token)


REFUSALS: dict[str, tuple[Callable[[], dict[str, str]], str]] = {
    "no token": (_no_token, "missing-token"),
    "basic auth": (lambda: {"Authorization": "Basic dXNlcjpwYXNz"}, "missing-token"),
    "alg none": (
        lambda: bearer(
            unsigned({"alg": "none", "typ": "JWT", "kid": SANDBOX_KID}, sandbox_claims(AUD))
        ),
        "alg-not-allowed",
    ),
    "HS256": (
        lambda: bearer(
            unsigned(
                {"alg": "HS256", "typ": "JWT", "kid": SANDBOX_KID}, sandbox_claims(AUD), b"x" * 32
            )
        ),
        "alg-not-allowed",
    ),
    "wrong key": (
        lambda: bearer(
            sign(sandbox_claims(AUD), ec_key("impostor"), kid=SANDBOX_KID, jku=SANDBOX_JKU)
        ),
        "bad-signature",
    ),
    "unknown kid": (
        lambda: bearer(sign(sandbox_claims(AUD), ec_key("rotated-away"), jku=SANDBOX_JKU)),
        "unknown-kid",
    ),
    "unknown iss": (
        lambda: bearer(sandbox_token(AUD, iss="https://evil.example")),
        "unknown-issuer",
    ),
    "jku not allowed": (
        lambda: bearer(sign(sandbox_claims(AUD), ec_key(), jku="https://evil.example/jwks.json")),
        "jku-not-allowed",
    ),
    "wrong aud": (
        lambda: bearer(sandbox_token(audience("/cds-services/baclofen-order-select"))),
        "wrong-audience",
    ),
    "expired": (lambda: bearer(sandbox_token(AUD, exp=int(time.time()) - 120)), "expired"),
    "iat an hour ahead": (
        lambda: bearer(
            sandbox_token(AUD, iat=int(time.time()) + 3600, exp=int(time.time()) + 3900)
        ),
        "issued-in-future",
    ),
    "nbf ahead": (lambda: bearer(epic_token(AUD, nbf=int(time.time()) + 600)), "not-yet-valid"),
    "wrong tenant": (
        lambda: bearer(
            sign(sandbox_claims(AUD, iss=TENANT_ISS, tenant="hospital-b"), ec_key(TENANT_KID))
        ),
        "wrong-tenant",
    ),
    "malformed": (lambda: bearer("eyJhbGciOiJFUzM4NCJ9.not-base64!.x"), "malformed"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_refusals_are_401_without_detail_counted_and_logged(
    http: httpx.AsyncClient,
    scenario: Scenario,
    caplog: pytest.LogCaptureFixture,
    case: str,
) -> None:
    headers, reason = REFUSALS[case]
    sent = headers()
    before = rejections(reason)
    caplog.set_level(logging.DEBUG)
    response = await http.post(SIGN, json=scenario("03"), headers=sent)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "login", "diagnostics": "unauthorized"}],
    }
    assert rejections(reason) == before + 1
    [line] = [r for r in caplog.records if r.getMessage() == "jwt rejected"]
    assert line.reason == reason  # type: ignore[attr-defined]
    assert line.path == SIGN  # type: ignore[attr-defined]
    token = sent.get("Authorization", "").removeprefix("Bearer ").removeprefix("Basic ")
    if token:
        assert all(token not in str(vars(record)) for record in caplog.records)


async def test_replayed_jti_is_401(http: httpx.AsyncClient, scenario: Scenario) -> None:
    token = sandbox_token(AUD)
    assert (await http.post(SIGN, json=scenario("03"), headers=bearer(token))).status_code == 200
    before = rejections("replayed")
    assert (await http.post(SIGN, json=scenario("03"), headers=bearer(token))).status_code == 401
    assert rejections("replayed") == before + 1


async def test_a_token_for_one_service_does_not_open_another(
    http: httpx.AsyncClient, scenario: Scenario
) -> None:
    token = sandbox_token(AUD)
    response = await http.post(
        "/cds-services/baclofen-patient-view", json=scenario("13"), headers=bearer(token)
    )
    assert response.status_code == 401


async def test_unauthenticated_callers_learn_nothing_about_the_body(
    http: httpx.AsyncClient,
) -> None:
    # Authentication comes before the body is read: no 400 or 413 hints for strangers.
    for body in (b"{not json", b"x" * 6_000_000):
        response = await http.post(SIGN, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 401
    assert (await http.post("/cds-services/nope", json={})).status_code == 404


async def test_rotated_key_is_fetched_on_an_unknown_kid(
    knowledge: Knowledge, jwks: JwksServer, scenario: Scenario
) -> None:
    app = make_auth_app(knowledge, jwks)
    async with client_for(app) as client:
        first = await client.post(SIGN, json=scenario("03"), headers=bearer(sandbox_token(AUD)))
        assert first.status_code == 200
        new = ec_key("sandbox-2027")
        jwks.documents[SANDBOX_JKU] = {"keys": [ec_key().public_jwk(), new.public_jwk()]}
        token = sign(sandbox_claims(AUD), new, jku=SANDBOX_JKU)
        # Within the rate limit the key set is not fetched again...
        assert (
            await client.post(SIGN, json=scenario("03"), headers=bearer(token))
        ).status_code == 401
        assert jwks.requests == [SANDBOX_JKU]
        # ...after it, the unknown kid makes the service look again.
        authenticator = services_of_app(app).authenticator
        assert authenticator is not None
        keys = authenticator.keys
        assert isinstance(keys, IssuerKeys)
        keys.clock = lambda: time.monotonic() + keys.min_refresh_interval_s + 1
        token = sign(sandbox_claims(AUD), new, jku=SANDBOX_JKU)
        assert (
            await client.post(SIGN, json=scenario("03"), headers=bearer(token))
        ).status_code == 200
        assert jwks.requests == [SANDBOX_JKU, SANDBOX_JKU]


class RecordingFetcherFactory:
    def __init__(self) -> None:
        self.callers: list[Caller] = []

    def __call__(self, request: HookRequest, caller: Caller) -> Fetcher | None:
        self.callers.append(caller)
        return None


@pytest.mark.parametrize(
    ("token", "issuer", "servers", "tenant", "client_id"),
    [
        (lambda: sandbox_token(AUD), SANDBOX_ISS, (SANDBOX_FHIR,), None, None),
        (lambda: epic_token(AUD), EPIC_ISS, (EPIC_FHIR,), None, EPIC_CLIENT_ID),
        (
            lambda: sign(sandbox_claims(AUD, iss=TENANT_ISS, tenant=TENANT), ec_key(TENANT_KID)),
            TENANT_ISS,
            (TENANT_FHIR,),
            TENANT,
            None,
        ),
    ],
)
async def test_the_fetcher_gets_a_caller_limited_to_the_issuers_fhir_servers(
    knowledge: Knowledge,
    jwks: JwksServer,
    scenario: Scenario,
    token: Callable[[], str],
    issuer: str,
    servers: tuple[str, ...],
    tenant: str | None,
    client_id: str | None,
) -> None:
    factory = RecordingFetcherFactory()
    request = scenario("03")
    request["fhirServer"] = "https://elsewhere.example/fhir"
    async with client_for(make_auth_app(knowledge, jwks, fetcher_factory=factory)) as client:
        response = await client.post(SIGN, json=request, headers=bearer(token()))
    assert response.status_code == 200, response.text
    [caller] = factory.callers
    assert caller == Caller(
        issuer=issuer,
        fhir_servers=servers,
        loopback_fhir_servers=False,
        tenant=tenant,
        client_id=client_id,
    )
    assert not caller.may_fetch_from(request["fhirServer"])
    assert caller.may_fetch_from(servers[0] + "/Patient/pat-1")


async def test_without_authentication_the_caller_is_the_local_one(
    make_app: Callable[..., Any], scenario: Scenario
) -> None:
    app = make_app(fhir_allowed_bases="https://fhir.local.test/r4")
    factory = RecordingFetcherFactory()
    services_of_app(app).evaluator.fetcher_factory = factory
    async with client_for(app) as client:
        assert (await client.post(SIGN, json=scenario("03"))).status_code == 200
    assert factory.callers == [Caller(issuer=None, fhir_servers=("https://fhir.local.test/r4",))]


async def test_discovery_is_open_unless_configured(knowledge: Knowledge, jwks: JwksServer) -> None:
    async with client_for(make_auth_app(knowledge, jwks)) as client:
        assert (await client.get("/cds-services")).status_code == 200
    async with client_for(make_auth_app(knowledge, jwks, auth_discovery=True)) as client:
        assert (await client.get("/cds-services")).status_code == 401
        token = sandbox_token(audience("/cds-services"))
        response = await client.get("/cds-services", headers=bearer(token))
        assert response.status_code == 200
        assert len(response.json()["services"]) == 3
        # A hook call's token is for its own URL, not for discovery.
        assert (
            await client.get("/cds-services", headers=bearer(sandbox_token(AUD)))
        ).status_code == 401


async def test_public_base_url_decides_the_audience(
    knowledge: Knowledge, jwks: JwksServer, scenario: Scenario
) -> None:
    base = "https://cds.hospital.example/baclofen"
    app = make_auth_app(knowledge, jwks, public_base_url=base + "/")
    async with client_for(app) as client:
        local = await client.post(SIGN, json=scenario("03"), headers=bearer(sandbox_token(AUD)))
        assert local.status_code == 401
        public = sandbox_token(base + SIGN)
        assert (
            await client.post(SIGN, json=scenario("03"), headers=bearer(public))
        ).status_code == 200


async def test_health_stays_open(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).status_code == 200


async def test_a_401_carries_cors_and_security_headers_for_the_sandbox(
    knowledge: Knowledge, jwks: JwksServer
) -> None:
    origin = {"Origin": "https://sandbox.cds-hooks.org"}
    app = make_auth_app(knowledge, jwks, cors_origins="https://sandbox.cds-hooks.org")
    async with client_for(app) as client:
        refused = await client.post(SIGN, json={}, headers=origin)
        assert refused.status_code == 401
        # The browser must be able to read the 401, or the sandbox shows a network error.
        assert refused.headers["access-control-allow-origin"] == origin["Origin"]
        assert refused.headers["x-content-type-options"] == "nosniff"
        preflight = await client.options(
            SIGN,
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert preflight.status_code == 200
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert preflight.headers["x-content-type-options"] == "nosniff"


async def test_a_wildcard_origin_never_comes_with_credentials(
    knowledge: Knowledge, jwks: JwksServer
) -> None:
    app = make_auth_app(knowledge, jwks, cors_origins="*")
    async with client_for(app) as client:
        response = await client.get("/cds-services", headers={"Origin": "https://any.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


async def test_jwks_endpoint_down_refuses_calls_and_says_why_in_the_log(
    knowledge: Knowledge, jwks: JwksServer, scenario: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    del jwks.documents[EPIC_JKU]
    caplog.set_level(logging.INFO)
    async with client_for(make_auth_app(knowledge, jwks)) as client:
        response = await client.post(SIGN, json=scenario("03"), headers=bearer(epic_token(AUD)))
    assert response.status_code == 401
    messages = {record.getMessage(): record for record in caplog.records}
    assert messages["jwks fetch failed"].error == "status 404"  # type: ignore[attr-defined]
    assert messages["jwt rejected"].reason == "keys-unavailable"  # type: ignore[attr-defined]
