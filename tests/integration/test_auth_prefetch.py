"""With authentication on, the JWT's issuer decides which FHIR server may be contacted.

End to end: a signed sandbox-style token, a request without prefetch whose ``fhirServer`` is
the test FHIR server. Trusted for that issuer, the data is fetched; not trusted, the server
sees no request at all and the answer is 412.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.clinical.knowledge import Knowledge
from service.fhir.fetchers import fetcher_factory_for
from service.settings import Settings
from tests.auth_support import JwksServer, bearer, client_for, make_auth_app, trusted_issuers
from tests.conftest import load_scenario
from tests.integration.conftest import FhirTestServer, resources_of
from tests.tokens import SANDBOX_ISS, audience, sandbox_token

SIGN = "/cds-services/baclofen-order-sign"


async def _call(knowledge: Knowledge, fhir_server: str, allowed: list[str]) -> Any:
    issuers = trusted_issuers()
    issuers[SANDBOX_ISS]["fhir_servers"] = allowed
    factory = fetcher_factory_for(Settings(trusted_issuers=issuers))
    await factory.start()
    try:
        app = make_auth_app(
            knowledge, JwksServer(), fetcher_factory=factory, trusted_issuers=issuers
        )
        request = load_scenario("03")["request"]
        request["fhirServer"] = fhir_server
        request["fhirAuthorization"] = {"access_token": "fhir-token-3", "token_type": "Bearer"}
        del request["prefetch"]
        async with client_for(app) as http:
            token = sandbox_token(audience(SIGN))
            return await http.post(SIGN, json=request, headers=bearer(token))
    finally:
        await factory.aclose()


@pytest.fixture
def space(fhir_server: FhirTestServer) -> str:
    prefetch = load_scenario("03")["request"]["prefetch"]
    return fhir_server.space("auth-03", resources_of(prefetch), token="fhir-token-3")


async def test_a_fhir_server_of_the_issuer_is_fetched_from(
    knowledge: Knowledge, fhir_server: FhirTestServer, space: str
) -> None:
    response = await _call(knowledge, space, allowed=[space])
    assert response.status_code == 200, response.text
    codes = {c["source"]["topic"]["code"] for c in response.json()["cards"]}
    assert "dose-above-max" in codes
    assert fhir_server.counts("auth-03")["requests"] > 0


async def test_a_fhir_server_outside_the_issuers_list_is_never_contacted(
    knowledge: Knowledge, fhir_server: FhirTestServer, space: str
) -> None:
    response = await _call(knowledge, space, allowed=["https://ehr.example.org/fhir"])
    assert response.status_code == 412, response.text
    assert "not allowed" in response.text
    assert fhir_server.counts("auth-03")["requests"] == 0
