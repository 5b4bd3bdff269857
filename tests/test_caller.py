"""Which FHIR servers a caller may have us fetch from."""

from __future__ import annotations

import pytest

from service.caller import Caller

BASE = "https://ehr.example/fhir/r4"
EHR = Caller(issuer="https://ehr.example", fhir_servers=(BASE, "http://10.0.0.5:8080/fhir/"))


@pytest.mark.parametrize(
    "url",
    [
        BASE,
        BASE + "/",
        BASE + "/Patient/123",
        "HTTPS://EHR.example/fhir/r4",
        "https://ehr.example:443/fhir/r4",
        "http://10.0.0.5:8080/fhir",
        "http://10.0.0.5:8080/fhir/Patient",
    ],
)
def test_urls_under_an_issuers_base_are_allowed(url: str) -> None:
    assert EHR.may_fetch_from(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://ehr.example/fhir/r4b",  # a longer path segment, not a child
        "https://ehr.example/fhir",  # the parent
        "https://ehr.example.evil/fhir/r4",
        "https://ehr.example@evil.example/fhir/r4",
        "https://evil.example/?https://ehr.example/fhir/r4",
        "http://ehr.example/fhir/r4",  # downgraded scheme
        "https://ehr.example:8443/fhir/r4",
        "https://ehr.example/fhir/r4/../../admin",
        "https://ehr.example/fhir/r4/%2e%2e/admin",
        "https://ehr.example/fhir/r4?_format=xml",
        "https://ehr.example:notaport/fhir/r4",
        "ftp://ehr.example/fhir/r4",
        "",
        "not a url",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    assert not EHR.may_fetch_from(url)


def test_an_issuer_without_fhir_servers_allows_none() -> None:
    assert not Caller(issuer="https://ehr.example", fhir_servers=()).may_fetch_from(BASE)


def test_unauthenticated_caller_follows_the_allow_list() -> None:
    assert Caller.unauthenticated([]).may_fetch_from("https://anything.example/fhir")
    local = Caller.unauthenticated([BASE])
    assert local.may_fetch_from(BASE + "/Patient/1")
    assert not local.may_fetch_from("https://other.example/fhir")
