"""``baclofen-cds test-issuer``: the key pair, the setting that trusts it, and tokens that a real
``baclofen-cds serve`` with authentication on accepts (once each)."""

from __future__ import annotations

import json
import shlex
import stat
from pathlib import Path

import httpx
import jwt
import pytest

from service.cli.local_issuer import DEFAULT_ISSUER, LocalTestIssuer
from service.settings import Settings
from tests.cli.test_cli_errors import command
from tests.conftest import codes, load_scenario
from tests.servers import serving

SIGN = "/cds-services/baclofen-order-sign"


def create(directory: Path, *options: str) -> str:
    """``test-issuer create``; the value of BACLOFEN_CDS_TRUSTED_ISSUERS it prints."""
    result = command("test-issuer", "create", str(directory), *options)
    assert result.returncode == 0, result.stderr
    assert "FOR TESTING ONLY" in result.stderr
    (line,) = result.stdout.strip().splitlines()
    name, _, value = line.removeprefix("export ").partition("=")
    assert name == "BACLOFEN_CDS_TRUSTED_ISSUERS"
    (unquoted,) = shlex.split(value)  # as the shell reads the pasted line
    return unquoted


def tokens(directory: Path, url: str, count: int = 1) -> list[str]:
    result = command("test-issuer", "token", str(directory), url, "--count", str(count))
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_create_writes_a_private_key_only_its_owner_can_read(tmp_path: Path) -> None:
    directory = tmp_path / "issuer"
    value = create(directory, "--fhir-server", "https://ehr.example.org/fhir")
    key = directory / "private-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    trusted = json.loads(value)
    assert list(trusted) == [DEFAULT_ISSUER]
    assert trusted[DEFAULT_ISSUER]["fhir_servers"] == ["https://ehr.example.org/fhir"]
    assert "d" not in trusted[DEFAULT_ISSUER]["jwks"]["keys"][0]  # the public key only
    # The service accepts the value as its setting, and `settings` prints it again.
    assert Settings(trusted_issuers=trusted).trusted_issuers[DEFAULT_ISSUER].jwks is not None
    again = command("test-issuer", "settings", str(directory))
    assert json.loads(again.stdout) == trusted


def test_create_never_overwrites_an_issuer(tmp_path: Path) -> None:
    create(tmp_path)
    result = command("test-issuer", "create", str(tmp_path))
    assert result.returncode == 2 and "already holds a test issuer" in result.stderr


def test_tokens_need_an_issuer(tmp_path: Path) -> None:
    result = command("test-issuer", "token", str(tmp_path), "http://127.0.0.1:1/cds-services/x")
    assert result.returncode == 2
    assert "holds no test issuer" in result.stderr and "test-issuer create" in result.stderr


def test_a_token_is_a_cds_hooks_jwt_for_the_url(tmp_path: Path) -> None:
    create(tmp_path)
    url = "http://127.0.0.1:8080/cds-services/baclofen-order-sign"
    first, second = tokens(tmp_path, url, count=2)
    header = jwt.get_unverified_header(first)
    assert header["alg"] == "ES384" and header["typ"] == "JWT" and header["kid"]
    issuer = LocalTestIssuer.load(tmp_path)
    claims = jwt.decode(first, issuer.private_key.public_key(), algorithms=["ES384"], audience=url)
    assert claims["iss"] == DEFAULT_ISSUER
    assert claims["exp"] - claims["iat"] == 300
    assert claims["jti"] != jwt.decode(second, options={"verify_signature": False})["jti"]


@pytest.mark.slow
def test_a_real_server_accepts_its_tokens_once_each(tmp_path: Path) -> None:
    issuer_dir = tmp_path / "issuer"
    trusted = create(issuer_dir)
    environment = {
        "BACLOFEN_CDS_AUTH_REQUIRED": "true",
        "BACLOFEN_CDS_TRUSTED_ISSUERS": trusted,
        # BACLOFEN_CDS_PUBLIC_BASE_URL unset: the address served, which the tokens name.
    }
    request = load_scenario("03-increase-60-120-mg-day.json")["request"]
    with serving(tmp_path, environment) as server:
        url = server.base + SIGN
        token, other = tokens(issuer_dir, url, count=2)
        bearer = {"Authorization": f"Bearer {token}"}
        answer = httpx.post(url, json=request, headers=bearer, timeout=30)
        assert answer.status_code == 200, answer.text
        assert codes(answer.json())["dose-above-max"] == "critical"
        # Card links name the address served, not a fixed port.
        links = [card["source"]["url"] for card in answer.json()["cards"]]
        assert all(link.startswith(server.base + "/knowledge/rules/") for link in links)

        assert httpx.post(url, json=request, headers=bearer, timeout=30).status_code == 401
        assert httpx.post(url, json=request, timeout=30).status_code == 401
        # A token for another URL is refused; a fresh one for this URL goes through.
        (elsewhere,) = tokens(issuer_dir, server.base + "/cds-services/baclofen-order-select")
        refused = httpx.post(
            url, json=request, headers={"Authorization": f"Bearer {elsewhere}"}, timeout=30
        )
        assert refused.status_code == 401
        accepted = httpx.post(
            url, json=request, headers={"Authorization": f"Bearer {other}"}, timeout=30
        )
        assert accepted.status_code == 200
