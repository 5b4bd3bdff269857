"""The command line on wrong input, closed pipes and bad settings: one line saying what is
wrong (naming the environment variable, not the Python field), never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.cli.main import build_parser, main
from tests.cli.test_cli import run
from tests.conftest import FIXTURES, ROOT


def command(
    *argv: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``baclofen-cds ARGV`` as a process, with a clean BACLOFEN_CDS_* environment."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BACLOFEN_CDS_")}
    return subprocess.run(
        [sys.executable, "-m", "service", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**environment, **(env or {})},
        cwd=ROOT,
    )


def assert_one_line_error(
    result: subprocess.CompletedProcess[str], status: int, *words: str
) -> None:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_evaluate_a_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "evaluate", str(tmp_path))
    assert code == 2 and out == ""
    assert "is a directory" in err


def test_evaluate_a_file_that_is_not_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    binary = tmp_path / "x.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    code, _, err = run(capsys, "evaluate", str(binary))
    assert code == 2 and "not UTF-8" in err


def test_a_closed_pipe_ends_quietly() -> None:
    # `fixtures show 03 | head -1`: the reader goes away after one line.
    with subprocess.Popen(
        [sys.executable, "-m", "service", "fixtures", "show", "03"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()
        stderr = process.stderr.read().decode()
        status = process.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert status in (0, 141)


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        (
            "BACLOFEN_CDS_WORKERS",
            "0",
            "BACLOFEN_CDS_WORKERS: Input should be greater than or equal to 1",
        ),
        ("BACLOFEN_CDS_PORT", "http", "BACLOFEN_CDS_PORT: Input should be a valid integer"),
        ("BACLOFEN_CDS_LOG_LEVEL", "LOUD", "BACLOFEN_CDS_LOG_LEVEL: log level must be"),
        (
            "BACLOFEN_CDS_TRUSTED_ISSUERS",
            "{not json",
            "BACLOFEN_CDS_TRUSTED_ISSUERS is not valid JSON",
        ),
    ],
)
def test_a_bad_setting_is_named_by_its_variable(variable: str, value: str, said: str) -> None:
    result = command(
        "evaluate", str(FIXTURES / "03-increase-60-120-mg-day.json"), env={variable: value}
    )
    assert_one_line_error(result, 2, said)
    assert "workers" not in result.stderr.replace("WORKERS", "")  # the field name never shows


def test_a_bad_setting_hides_the_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BACLOFEN_CDS_JWT_LEEWAY_S", "secret-ish-9999")
    code, _, err = run(capsys, "report")
    assert code == 2 and "BACLOFEN_CDS_JWT_LEEWAY_S" in err
    assert "secret-ish-9999" not in err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["serve", "--workers", "0"], "0 is not between 1 and 64"),
        (["serve", "--workers", "65"], "65 is not between 1 and 64"),
        (["serve", "--port", "0"], "0 is not between 1 and 65535"),
        (["serve", "--port", "eighty"], "'eighty' is not a whole number"),
        (["evaluate", "x.json", "--today", "23/11/2026"], "is not a date (YYYY-MM-DD)"),
        (
            ["test-issuer", "token", "dir", "http://x", "--lifetime", "7200"],
            "not between 1 and 3600",
        ),
    ],
)
def test_option_values_out_of_range_are_refused(
    capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert said in capsys.readouterr().err


@pytest.mark.parametrize(
    "name", ["3", "03", "03-increase-60-120-mg-day", "03-increase-60-120-mg-day.json"]
)
def test_fixtures_show_takes_a_number_or_a_name(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, out, _ = run(capsys, "fixtures", "show", name, "--as-written")
    assert code == 0
    scenario = json.loads((FIXTURES / "03-increase-60-120-mg-day.json").read_text())
    assert json.loads(out) == scenario["request"]


def test_fixtures_show_without_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "fixtures", "show")
    assert code == 2 and "needs a fixture" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("baclofen-cds 0.") and "knowledge base " in out


def every_help() -> dict[str, str]:
    """The --help text of the program and of each command and subcommand."""
    texts = {}

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        texts[name] = " ".join(parser.format_help().split())  # as read, whatever the wrapping
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child_name, child in action.choices.items():
                    walk(child, f"{name} {child_name}")

    walk(build_parser(), "baclofen-cds")
    return texts


def test_help_is_plain_text() -> None:
    for name, text in every_help().items():
        assert "``" not in text and ":func:" not in text, name


def test_help_shows_defaults() -> None:
    helps = every_help()
    assert "(default: BACLOFEN_CDS_HOST, else 127.0.0.1)" in helps["baclofen-cds serve"]
    assert "(default: BACLOFEN_CDS_PORT, else 8080)" in " ".join(
        helps["baclofen-cds serve"].split()
    )
    assert "(default: table)" in helps["baclofen-cds report"]
    assert "(default: 300)" in helps["baclofen-cds test-issuer token"]
    assert "(default: list)" in helps["baclofen-cds fixtures"]


def test_serve_help_says_where_the_public_base_url_comes_from() -> None:
    text = every_help()["baclofen-cds serve"]
    assert "BACLOFEN_CDS_PUBLIC_BASE_URL" in text
    assert "http://HOST:PORT" in text


def test_evaluate_help_says_how_dates_differ_from_fixtures_show() -> None:
    text = every_help()["baclofen-cds evaluate"]
    assert "evaluationDate" in text and "--shift-to-today" in text and "fixtures show" in text


def test_sqlite_files_are_ignored_by_git(tmp_path: Path) -> None:
    names = ["baclofen-cds.sqlite3", "baclofen-cds.sqlite3-wal", "baclofen-cds.sqlite3-shm"]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sorted(result.stdout.split()) == sorted(names)
