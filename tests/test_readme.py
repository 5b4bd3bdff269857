"""The README's configuration examples are accepted by the settings they document."""

from __future__ import annotations

import json
import re

import pytest

from service.settings import Settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
ISSUER_EXAMPLES = re.findall(r"BACLOFEN_CDS_TRUSTED_ISSUERS='(\{.*?\})'", README, re.DOTALL)
INLINE_EXAMPLES = [
    block for block in re.findall(r"```json\n(\{.*?\})\n```", README, re.DOTALL) if "jwks" in block
]


def test_the_readme_has_the_sandbox_and_epic_examples() -> None:
    issuers = [issuer for example in ISSUER_EXAMPLES for issuer in json.loads(example)]
    assert "https://sandbox.cds-hooks.org" in issuers
    assert any("interconnect-fhir-oauth" in issuer for issuer in issuers)


@pytest.mark.parametrize("example", ISSUER_EXAMPLES + INLINE_EXAMPLES)
def test_issuer_examples_are_valid_settings(monkeypatch: pytest.MonkeyPatch, example: str) -> None:
    monkeypatch.setenv("BACLOFEN_CDS_TRUSTED_ISSUERS", example)
    settings = Settings()
    assert settings.trusted_issuers
    for issuer in settings.trusted_issuers.values():
        assert issuer.fhir_servers


def test_the_readme_lists_every_rule_code() -> None:
    from service.clinical.knowledge import load_knowledge

    missing = [code for code in load_knowledge().rules_file.rules if f"| `{code}` |" not in README]
    assert not missing, f"README's rule table lacks {missing}"
