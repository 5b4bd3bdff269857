"""Which FHIR servers may be contacted, and which URLs lie under them (SSRF defence)."""

from __future__ import annotations

import pytest

from service.auth.caller import Caller
from service.fhir.servers import (
    FhirBase,
    NotPermittedError,
    check_allowed_bases,
    permitted_base,
)

EHR = "https://ehr.example.org/fhir/r4"


def caller(*bases: str) -> tuple[str, ...]:
    """The FHIR bases of an authenticated caller (its issuer's ``fhir_servers``)."""
    return bases


@pytest.mark.parametrize(
    "fhir_server",
    [
        EHR,
        EHR + "/",
        "HTTPS://EHR.example.org/fhir/r4",
        "https://ehr.example.org:443/fhir/r4",
        EHR + "/tenant-7",
    ],
)
def test_a_fhir_server_under_an_allowed_base_is_permitted(fhir_server: str) -> None:
    assert permitted_base(fhir_server, caller(EHR)).host == "ehr.example.org"


@pytest.mark.parametrize(
    "fhir_server",
    [
        "https://ehr.example.org/fhir/r4x",  # not on a segment boundary
        "https://ehr.example.org/fhir",  # above the base
        "https://ehr.example.org:8443/fhir/r4",  # another port
        "https://ehr.example.org.evil.test/fhir/r4",  # another host
        "https://evil.test/fhir/r4",
        "https://ehr.example.org@evil.test/fhir/r4",  # userinfo tricks
        "https://evil.test#@ehr.example.org/fhir/r4",
        "https://ehr.example.org/fhir/r4/../../admin",  # dot segments
        "https://ehr.example.org/fhir/r4/%2e%2e/%2E%2E/admin",
        "https://ehr.example.org/fhir/r4/..%2fadmin",
        "https://ehr.example.org/fhir/r4\\..\\admin",
        "https://ehr.example.org/fhir//r4",
        "http://ehr.example.org/fhir/r4",  # https is required off loopback
        "ftp://ehr.example.org/fhir/r4",
        EHR + "?x=1",
        "not a url",
        "",
    ],
)
def test_anything_else_is_refused_without_quoting_the_url(fhir_server: str) -> None:
    with pytest.raises(NotPermittedError) as refused:
        permitted_base(fhir_server, caller(EHR))
    assert str(refused.value).startswith("fhirServer ")
    assert "evil" not in str(refused.value)


def test_with_authentication_off_and_no_list_only_loopback_servers_are_permitted() -> None:
    """Was: any https host and any loopback port, with the caller's token (the compose
    default): an open service fetching from anywhere on the caller's word."""
    anyone = Caller.unauthenticated([])
    assert anyone.loopback_fhir_servers

    def permitted(url: str) -> FhirBase:
        return permitted_base(url, anyone.fhir_servers, loopback_only=anyone.loopback_fhir_servers)

    assert permitted("http://127.0.0.1:8080/fhir").port == 8080
    assert permitted("http://[::1]/fhir").host == "::1"
    assert permitted("http://localhost/fhir").scheme == "http"
    for elsewhere in (
        "https://anywhere.example/fhir",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.5/fhir",
        "https://127.0.0.1.nip.io/fhir",
    ):
        with pytest.raises(NotPermittedError, match="only loopback"):
            permitted(elsewhere)
    with pytest.raises(NotPermittedError, match="https"):
        permitted("http://10.0.0.5/fhir")


@pytest.mark.parametrize(
    "fhir_server",
    [
        EHR + "/..;/admin",  # a dot segment to Tomcat and others
        EHR + "/..;x/admin",
        EHR + "/%2e%2e;/admin",
        EHR + "/%252e%252e/admin",  # encoded twice: '..' to a server that decodes again
        EHR + "/%252f",
        EHR + "/a%3Bb",
        EHR + "/tenant;jsessionid=1",
        EHR + "/%5c",
        EHR + "/x%00",
    ],
)
def test_only_plain_singly_encoded_segments_are_accepted(fhir_server: str) -> None:
    with pytest.raises(NotPermittedError):
        permitted_base(fhir_server, caller(EHR))
    assert not FhirBase.parse(EHR).contains(fhir_server + "/Patient/p1")


def test_plain_segments_still_pass() -> None:
    for fine in (EHR + "/$everything", EHR + "/tenant:7", EHR + "/t%C3%A9nant", EHR + "/a-b_c~d"):
        assert permitted_base(fine, caller(EHR)).url == fine


def test_a_caller_with_no_fhir_servers_may_have_nothing_fetched() -> None:
    with pytest.raises(NotPermittedError, match="not allowed for this caller"):
        permitted_base(EHR, caller())


def test_urls_under_a_base() -> None:
    base = FhirBase.parse(EHR)
    assert base.resolve("Patient/p1") == EHR + "/Patient/p1"
    assert (
        base.resolve(EHR + "/Condition?patient=p1&_page=2") == EHR + "/Condition?patient=p1&_page=2"
    )
    assert base.contains("https://EHR.example.org:443/fhir/r4/Patient/p1")
    for outside in (
        "https://ehr.example.org/fhir/r4-other/Patient/p1",
        "https://ehr.example.org/admin",
        "https://ehr.example.org/fhir/r4/Patient/../../../admin",
        "http://ehr.example.org/fhir/r4/Patient/p1",
        "https://user:pw@ehr.example.org/fhir/r4/Patient/p1",
    ):
        assert not base.contains(outside), outside
        with pytest.raises(NotPermittedError):
            base.resolve(outside)
    with pytest.raises(NotPermittedError):
        base.resolve("Patient/..")


def test_a_root_base_contains_every_path_of_its_origin() -> None:
    base = FhirBase.parse("https://fhir.example.org")
    assert base.resolve("Patient/p1") == "https://fhir.example.org/Patient/p1"
    assert not base.contains("https://fhir.example.org.evil.test/Patient/p1")


def test_bad_configured_bases_fail_at_start_up_naming_the_setting() -> None:
    check_allowed_bases([EHR, "http://127.0.0.1:9000/fhir"], "SETTING")
    with pytest.raises(ValueError, match=r"SETTING: 'http://ehr\.internal/fhir' must use https"):
        check_allowed_bases(["http://ehr.internal/fhir"], "SETTING")
