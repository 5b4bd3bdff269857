"""``baclofen-cds migrate`` and ``report``: the schema from the shell, and the API's rows."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from service.api.dependencies import services_of_app
from service.cli.main import main
from service.store.migrate import head_revision
from tests.api.store_client import FEEDBACK, issue_cards, item
from tests.conftest import running

Scenario = Callable[[str], dict[str, Any]]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def use_database(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    return lambda url: monkeypatch.setenv("BACLOFEN_CDS_DATABASE_URL", url)


def test_migrate_creates_the_schema_once(
    capsys: pytest.CaptureFixture[str], database_url: str, use_database: Callable[[str], None]
) -> None:
    use_database(database_url)
    code, out, _ = run(capsys, "migrate")
    assert code == 0 and f"schema at revision {head_revision()} (was empty)" in out
    code, out, _ = run(capsys, "migrate")
    assert code == 0 and f"schema at revision {head_revision()} (already current)" in out


def test_report_prints_the_rows_of_the_api(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    use_database: Callable[[str], None],
    make_app: Callable[..., FastAPI],
    scenario: Scenario,
) -> None:
    async def issue_and_read() -> tuple[Any, str]:
        app = make_app(database_url=database_url)
        async with running(app) as http:
            cards = await issue_cards(http, scenario("03"))
            await http.post(FEEDBACK, json={"feedback": [item(cards[0]["uuid"])]})
            await services_of_app(app).advice_recorder.flush()
            as_json = (await http.get("/analytics/rules")).json()
            as_csv = (await http.get("/analytics/rules?format=csv")).text
        return as_json, as_csv

    api_json, api_csv = asyncio.run(issue_and_read())
    use_database(database_url)

    code, out, _ = run(capsys, "report", "--format", "json")
    assert code == 0 and json.loads(out) == api_json
    code, out, _ = run(capsys, "report", "--format", "csv")
    assert code == 0 and out.replace("\r\n", "\n") == api_csv.replace("\r\n", "\n")
    code, out, _ = run(capsys, "report")
    assert code == 0
    table = {line.split()[1]: line.split()[2:] for line in out.splitlines()[4:] if line}
    assert table == {
        row["rule"]: [
            str(row["issued"]),
            str(row["accepted"]),
            str(row["overridden"]),
            f"{row['overrideRate']:.1%}",
            *(f"{r['code']}={r['count']}" for r in row["topOverrideReasons"]),
        ]
        for row in api_json["rules"]
    }
    # One EHR's cards (as that EHR reads them through the API): here, issued to none.
    code, out, _ = run(capsys, "report", "--format", "json", "--issuer", "https://ehr.example")
    assert code == 0 and json.loads(out) == {"rules": []}
    assert run(capsys, "report", "--tenant", "hospital-a")[0] == 2
    code, out, _ = run(capsys, "report", "--since", "2999-01-01")
    assert code == 0 and "no cards issued in this window" in out


def test_report_refuses_an_unmigrated_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, use_database: Callable[[str], None]
) -> None:
    use_database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    code, out, err = run(capsys, "report")
    assert code == 1 and out == ""
    assert "not migrated: run `baclofen-cds migrate` first" in err


def test_an_unreachable_store_exits_1_without_the_password(
    capsys: pytest.CaptureFixture[str], use_database: Callable[[str], None]
) -> None:
    use_database("postgresql://cds:s3cret@127.0.0.1:1/cds")
    for command in ("migrate", "report"):
        code, _, err = run(capsys, command)
        assert code == 1 and "unreachable" in err
        assert "s3cret" not in err


def test_a_bad_window_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "report", "--since", "last tuesday")
    assert code == 2 and "since is not an ISO 8601" in err
