"""README's Configuration and Operating it sections against the code they describe."""

from __future__ import annotations

import re

import pytest
from prometheus_client.metrics import MetricWrapperBase

from service.observability import metrics
from service.settings import Settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end]


def table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("| `"):
            # Split on the table's pipes, not on "\|" escaped inside a cell.
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


CONFIGURATION = {row[0].strip("`"): row for row in table_rows(section("Configuration"))}


def test_every_setting_is_documented() -> None:
    assert set(CONFIGURATION) == {f"BACLOFEN_CDS_{name.upper()}" for name in Settings.model_fields}


@pytest.mark.parametrize("variable", sorted(CONFIGURATION))
def test_each_example_is_accepted(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    example = CONFIGURATION[variable][-1]
    assert example.startswith("`") and example.endswith("`"), f"{variable}: no example"
    monkeypatch.setenv(variable, example.strip("`"))
    Settings()


def test_every_metric_family_is_documented() -> None:
    families = {
        family.name
        for value in vars(metrics).values()
        if isinstance(value, MetricWrapperBase)
        for family in value.describe()
    }
    # Counters are exposed, and documented, with their "_total".
    documented = {
        row[0].strip("`").removesuffix("_total") for row in table_rows(section("Operating it"))
    }
    assert families and families <= documented


@pytest.mark.parametrize("directory", ["kubernetes", "monitoring"])
def test_every_deployment_file_is_documented(directory: str) -> None:
    # Tables headed "file (under `deploy/<directory>/`)" name each file by its path there.
    top = ROOT / "deploy" / directory
    files = {
        path.relative_to(top).as_posix()
        for path in top.rglob("*")
        if path.is_file() and path.suffix in {".yaml", ".json"}
    }
    documented = {
        name.strip().strip("`")
        for row in table_rows(section("Operating it"))
        for name in row[0].split(",")
    }
    assert files and files <= documented, files - documented
