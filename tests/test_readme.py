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


def shell_blocks_after(heading: str) -> list[str]:
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.DOTALL)


def test_the_quick_start_server_and_the_test_command_use_separate_environments() -> None:
    # The test command reinstalls the package (editable, with the dev tools) into its
    # environment; had the quick-start server been installed there, its package would be
    # replaced under it while it runs (/openapi.json answered 500, `evaluate` crashed).
    demo, serve, test = shell_blocks_after("Quick start")
    assert test.strip() == "./scripts/test"
    test_venvs = re.findall(r"python3 -m venv (\S+)", (ROOT / "scripts" / "test").read_text())
    for block, command in ((demo, "demo"), (serve, "serve")):
        (venv,) = re.findall(r"python3 -m venv (\S+)", block)
        assert test_venvs and venv not in test_venvs
        assert f"{venv}/bin/baclofen-cds {command}" in block
        assert " -e " not in block  # a copy of the code, not a link to the working tree


def github_anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_contents_list_every_section_in_order() -> None:
    contents = next(line for line in README.splitlines() if line.startswith("**Contents:**"))
    listed = re.findall(r"\[([^\]]+)\]\(#([^)]+)\)", contents)
    headings = re.findall(r"^## (.+)$", README, re.MULTILINE)
    assert [title for title, _ in listed] == headings
    assert all(anchor == github_anchor(title) for title, anchor in listed)
    # Near the top: the first screen.
    assert README.index("**Contents:**") < README.index("## Quick start") < 2000


def test_the_quick_start_says_what_is_needed_and_how_long() -> None:
    section = README.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    assert "**What you need, how long.**" in section
    for need in ("Python 3.11", "Node 20", "PostgreSQL", "minutes"):
        assert need in section


def test_the_authenticated_example_uses_the_test_issuer_and_the_served_address() -> None:
    section = README.split("\n### Try it with authentication on\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    for step in ("test-issuer create", "test-issuer settings", "test-issuer token", " serve"):
        assert step in block
    assert "URL=http://127.0.0.1:8080/cds-services/baclofen-order-sign" in block
    assert "Authorization: Bearer $TOKEN" in block
    assert Settings().public_base_url == "http://127.0.0.1:8080"  # what the tokens name
