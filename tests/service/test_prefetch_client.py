"""The fetcher factory: no fhirServer, a refused one, an allowed one with its token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cds_hooks.fetch import FetchError, RefusingFetcher
from cds_hooks.request import HookRequest
from service.auth.caller import Caller
from service.fhir.fetchers import PrefetchClient, fetcher_factory_for
from tests.conftest import make_settings as settings_for_tests

EHR = "https://ehr.example.org/fhir"


def hook_request(**fields: Any) -> HookRequest:
    body = {"hook": "patient-view", "hookInstance": "h-1", "context": {"patientId": "p1"}}
    return HookRequest.model_validate(body | fields)


@pytest.fixture
async def factory() -> AsyncIterator[tuple[PrefetchClient, list[httpx.Request]]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"resourceType": "Patient", "id": "p1"})

    made = fetcher_factory_for(settings_for_tests(), transport=httpx.MockTransport(handler))
    await made.start()
    yield made, seen
    await made.aclose()


async def test_no_fhir_server_means_no_fetcher(
    factory: tuple[PrefetchClient, list[httpx.Request]],
) -> None:
    made, _ = factory
    assert made(hook_request(), Caller.unauthenticated([])) is None


async def test_a_fhir_server_not_allowed_is_never_contacted(
    factory: tuple[PrefetchClient, list[httpx.Request]],
) -> None:
    made, seen = factory
    caller = Caller(issuer="https://ehr.example.org", fhir_servers=(EHR,))
    fetcher = made(hook_request(fhirServer="https://evil.test/fhir"), caller)
    assert isinstance(fetcher, RefusingFetcher)
    with pytest.raises(FetchError, match="fhirServer is not allowed for this caller"):
        await fetcher.fetch("Patient/p1")
    assert seen == []


async def test_an_allowed_fhir_server_is_fetched_with_the_calls_token(
    factory: tuple[PrefetchClient, list[httpx.Request]],
) -> None:
    made, seen = factory
    request = hook_request(
        fhirServer=EHR + "/",
        fhirAuthorization={"access_token": "tok-9", "token_type": "Bearer"},
    )
    fetcher = made(request, Caller.unauthenticated([EHR]))
    assert fetcher is not None
    assert (await fetcher.fetch("Patient/p1"))["id"] == "p1"
    assert str(seen[0].url) == EHR + "/Patient/p1"
    assert seen[0].headers["authorization"] == "Bearer tok-9"


def test_a_bad_allowed_base_fails_at_start_up() -> None:
    settings = settings_for_tests(
        fhir_allowed_bases="https://ok.example/fhir,http://ehr.internal/fhir"
    )
    with pytest.raises(ValueError, match="BACLOFEN_CDS_FHIR_ALLOWED_BASES"):
        fetcher_factory_for(settings)


def test_a_bad_issuer_fhir_server_fails_at_start_up() -> None:
    issuers = {"https://ehr.example.org": {"jwks": {"keys": []}, "fhir_servers": ["http://x/f"]}}
    settings = settings_for_tests(trusted_issuers=issuers)
    with pytest.raises(ValueError, match=r"TRUSTED_ISSUERS\['https://ehr.example.org'\]"):
        fetcher_factory_for(settings)
