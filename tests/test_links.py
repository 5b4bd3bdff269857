"""The schedule links' key: from the configuration, or one of this process."""

from __future__ import annotations

import logging

import pytest

from service.present.links import link_signer_for
from tests.conftest import make_settings


def test_configured_keys_sign_and_verify_alike_in_every_process() -> None:
    keys = ["new-key-of-thirty-two-characters-x", "old-key-of-thirty-two-characters-x"]
    first, second = (
        link_signer_for(make_settings(link_keys=keys)),
        link_signer_for(make_settings(link_keys=keys)),
    )
    assert second.verify("kind=taper", first.sign("kind=taper"))
    old_only = link_signer_for(make_settings(link_keys=keys[1:]))
    assert first.verify("q", old_only.sign("q"))  # rotation: the old key still verifies


def test_without_keys_a_process_key_is_made_and_the_operator_told(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        first = link_signer_for(make_settings(link_keys=[]))
        second = link_signer_for(make_settings(link_keys=[]))
    assert first.verify("q", first.sign("q"))
    assert not second.verify("q", first.sign("q"))  # another process: another key
    assert "BACLOFEN_CDS_LINK_KEYS is not set" in caplog.text


def test_short_keys_are_refused_without_being_quoted() -> None:
    with pytest.raises(ValueError, match="at least 32 characters") as refused:
        make_settings(link_keys=["short-secret"])
    assert "short-secret" not in str(refused.value)
