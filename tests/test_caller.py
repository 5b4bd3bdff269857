"""A caller may have us fetch from its issuer's FHIR bases only (rules: test_fhir_servers)."""

from __future__ import annotations

from service.auth.caller import Caller

BASE = "https://ehr.example/fhir/r4"


def test_an_authenticated_caller_follows_its_issuers_bases() -> None:
    ehr = Caller(issuer="https://ehr.example", fhir_servers=(BASE,))
    assert ehr.may_fetch_from(BASE + "/Patient/123")
    assert not ehr.may_fetch_from("https://ehr.example/fhir/r4b")
    assert not ehr.may_fetch_from("https://evil.example/fhir/r4")


def test_an_issuer_without_fhir_servers_allows_none() -> None:
    assert not Caller(issuer="https://ehr.example", fhir_servers=()).may_fetch_from(BASE)


def test_unauthenticated_caller_follows_the_allow_list() -> None:
    # No allow-list: loopback servers only (local development), never any host.
    assert not Caller.unauthenticated([]).may_fetch_from("https://anything.example/fhir")
    assert Caller.unauthenticated([]).may_fetch_from("http://127.0.0.1:8080/fhir")
    local = Caller.unauthenticated([BASE])
    assert local.may_fetch_from(BASE + "/Patient/1")
    assert not local.may_fetch_from("https://other.example/fhir")
