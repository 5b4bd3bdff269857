"""The command line: evaluate (same answers as HTTP), fixtures, and its exit codes."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

from service.app import factory, services
from service.cli.main import main
from tests.conftest import FIXTURES, codes


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_evaluate_a_scenario_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", str(FIXTURES / "03-increase-60-120-mg-day.json"))
    assert code == 0
    assert codes(json.loads(out)) == {
        "dose-above-max": "critical",
        "titration-too-fast": "warning",
        "tablet-strength": "info",
    }


def test_evaluate_builds_the_pipeline_alone(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> NoReturn:
        raise AssertionError("evaluate built more than its evaluator")

    for module, name in (
        (factory, "create_app"),
        (factory, "application"),
        (services, "build_services"),
    ):
        monkeypatch.setattr(module, name, refuse)
    code, out, _ = run(capsys, "evaluate", str(FIXTURES / "03-increase-60-120-mg-day.json"))
    assert code == 0
    assert "dose-above-max" in codes(json.loads(out))


def test_evaluate_a_bare_request_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = json.loads((FIXTURES / "14-no-baclofen-ordered.json").read_text())
    monkeypatch.setattr(sys, "stdin", _Stdin(json.dumps(scenario["request"])))
    code, out, _ = run(capsys, "evaluate", "-", "--today", "2026-11-23")
    assert code == 0
    assert json.loads(out) == {"cards": []}


def test_evaluate_invalid_json_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, out, err = run(capsys, "evaluate", str(bad))
    assert code == 2 and out == ""
    assert "not valid JSON" in err


def test_evaluate_invalid_request_exits_2_with_the_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"hook": "order-sign", "hookInstance": "x", "context": {}}))
    code, out, err = run(capsys, "evaluate", str(request))
    assert code == 2 and out == ""
    assert "400" in err and "context.patientId is required" in err


def test_evaluate_missing_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "evaluate", "/no/such/file.json")
    assert code == 2 and "no such file" in err


def test_fixtures_lists_every_bundled_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fixtures")
    assert code == 0
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == sorted(p.stem for p in FIXTURES.glob("*.json"))


def test_fixtures_show_prints_a_request_moved_to_today(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fixtures", "show", "03")
    assert code == 0
    request = json.loads(out)
    assert request["hook"] == "order-sign"
    code, out, _ = run(capsys, "fixtures", "show", "03", "--as-written")
    assert json.loads(out)["prefetch"]["patient"]["birthDate"] == "1981-10-24"
    assert run(capsys, "fixtures", "show", "nope")[0] == 2


CONSOLE_SCRIPT = Path(sys.executable).parent / "baclofen-cds"


def test_console_script_is_installed() -> None:
    assert CONSOLE_SCRIPT.exists(), "pip install the package: it provides `baclofen-cds`"
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "evaluate", str(FIXTURES / "11-stop-45-mg-day-after-a-year.json")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "abrupt-discontinuation" in result.stdout


class _Stdin:
    def __init__(self, text: str) -> None:
        self.text = text

    def read(self) -> str:
        return self.text


@pytest.mark.parametrize(("auth_required", "warned"), [("false", True), ("true", False)])
def test_serve_warns_when_authentication_is_off(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    auth_required: str,
    warned: bool,
) -> None:
    import uvicorn

    import service.observability.logs

    served: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **_: served.append(target))
    # Keeps the root logger as pytest set it up; what is logged is the same.
    monkeypatch.setattr(service.observability.logs, "configure_logging", lambda level: None)
    monkeypatch.setenv("BACLOFEN_CDS_AUTH_REQUIRED", auth_required)
    monkeypatch.setenv("BACLOFEN_CDS_LINK_KEYS", "a-random-secret-of-32-characters-or-more")
    with caplog.at_level(logging.WARNING):
        assert main(["serve"]) == 0
    assert served == ["service.app.asgi:app"]
    off = [r for r in caplog.records if "authentication is OFF" in r.getMessage()]
    assert bool(off) is warned


def test_serve_passes_the_server_limits_to_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    import service.observability.logs
    from service.app.serving import GuardedH11Protocol

    options: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kwargs: options.update(kwargs))
    monkeypatch.setattr(service.observability.logs, "configure_logging", lambda level: None)
    monkeypatch.setenv("BACLOFEN_CDS_AUTH_REQUIRED", "false")
    monkeypatch.setenv("BACLOFEN_CDS_MAX_HEADER_BYTES", "8192")
    monkeypatch.setenv("BACLOFEN_CDS_MAX_CONNECTIONS", "42")
    assert main(["serve"]) == 0
    assert options["http"] is GuardedH11Protocol
    assert options["h11_max_incomplete_event_size"] == 8192
    assert options["limit_concurrency"] == 42
    # X-Forwarded-* are believed only from proxies named in the configuration.
    assert options["proxy_headers"] is False
    monkeypatch.setenv("BACLOFEN_CDS_FORWARDED_ALLOW_IPS", "10.0.0.1,10.0.0.2")
    assert main(["serve"]) == 0
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == ["10.0.0.1", "10.0.0.2"]


def test_serve_refuses_several_workers_with_authentication_and_no_redis(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: each worker had its own replay cache, and 9 of 10 replayed tokens were accepted;
    the warning meant for this read a setting that ``--workers`` does not change."""
    import uvicorn

    served: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **_: served.append(target))
    code, _, err = run(capsys, "serve", "--workers", "2")
    assert code == 2 and not served
    assert "BACLOFEN_CDS_REDIS_URL" in err
    monkeypatch.setenv("BACLOFEN_CDS_WORKERS", "2")
    assert run(capsys, "serve")[0] == 2
    monkeypatch.setenv("BACLOFEN_CDS_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("BACLOFEN_CDS_LINK_KEYS", "a-random-secret-of-32-characters-or-more")
    monkeypatch.setattr("service.observability.logs.configure_logging", lambda level: None)
    assert run(capsys, "serve")[0] == 0 and served


@pytest.mark.parametrize(
    ("env", "argv"),
    [({"BACLOFEN_CDS_AUTH_REQUIRED": "true"}, []), ({}, ["--workers", "2"])],
    ids=["authentication on", "two workers"],
)
def test_serve_refuses_production_without_link_keys(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    argv: list[str],
) -> None:
    """A random key per process would make every other worker and replica refuse the links."""
    import uvicorn

    served: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **_: served.append(target))
    monkeypatch.setattr("service.observability.logs.configure_logging", lambda level: None)
    monkeypatch.setenv("BACLOFEN_CDS_AUTH_REQUIRED", "false")
    monkeypatch.setenv("BACLOFEN_CDS_REDIS_URL", "redis://127.0.0.1:6379/0")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, _, err = run(capsys, "serve", *argv)
    assert code == 2 and not served
    assert "BACLOFEN_CDS_LINK_KEYS" in err
    monkeypatch.setenv("BACLOFEN_CDS_LINK_KEYS", "a-random-secret-of-32-characters-or-more")
    assert run(capsys, "serve", *argv)[0] == 0 and served
