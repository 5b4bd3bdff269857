"""tests.requirements: a missing server skips a laptop's run and fails CI's."""

from __future__ import annotations

import pytest

from tests.requirements import unavailable


def test_without_ci_a_missing_server_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Redis unreachable"):
        unavailable("Redis unreachable")


def test_on_ci_a_missing_server_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match=r"Redis unreachable.*must run"):
        unavailable("Redis unreachable")
