"""The bundled example requests (``fixtures/``): scenario files with their expected cards.

Each file holds ``name``, ``service``, ``evaluationDate``, ``request`` and ``expect`` (the same
format as the shared scenarios). Dates are written against ``evaluationDate``; ``shifted``
moves them to another day so that ages and lab recency stay as written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(.*)$")


def fixtures_dir() -> Path:
    """Bundled in the wheel as ``service/_bundled_fixtures``, or ``fixtures/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent  # service/
    for candidate in (package / "_bundled_fixtures", package.parent / "fixtures"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("no fixtures directory found next to the service package")


@dataclass(frozen=True)
class Fixture:
    path: Path
    name: str
    service: str
    evaluation_date: dt.date
    request: dict[str, Any]
    expect: dict[str, Any]

    @property
    def key(self) -> str:
        return self.path.stem

    def shifted_request(self, today: dt.date) -> dict[str, Any]:
        result: dict[str, Any] = shift_dates(self.request, (today - self.evaluation_date).days)
        return result


def load_fixture(path: Path) -> Fixture:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Fixture(
        path=path,
        name=data["name"],
        service=data["service"],
        evaluation_date=dt.date.fromisoformat(data["evaluationDate"]),
        request=data["request"],
        expect=data.get("expect", {}),
    )


def all_fixtures(directory: Path | None = None) -> Iterator[Fixture]:
    for path in sorted((directory or fixtures_dir()).glob("*.json")):
        yield load_fixture(path)


def find_fixture(key: str, directory: Path | None = None) -> Fixture:
    """The fixture named by its file name (with or without ``.json``), or by its number
    (``3`` or ``03``)."""
    key = key.removesuffix(".json")
    number = int(key) if key.isdigit() else None
    for fixture in all_fixtures(directory):
        prefix = fixture.key.split("-")[0]
        if (
            fixture.key == key
            or fixture.key.startswith(key + "-")
            or (number is not None and prefix.isdigit() and int(prefix) == number)
        ):
            return fixture
    raise KeyError(key)


def shift_dates(value: Any, days: int) -> Any:
    """Every ISO date or dateTime string moved by ``days`` (as the replay tool does)."""
    if days == 0:
        return value
    if isinstance(value, dict):
        return {k: shift_dates(v, days) for k, v in value.items()}
    if isinstance(value, list):
        return [shift_dates(v, days) for v in value]
    if isinstance(value, str):
        match = _DATE.match(value)
        if match:
            try:
                moved = dt.date.fromisoformat(match.group(1)) + dt.timedelta(days=days)
            except ValueError:
                return value
            return moved.isoformat() + match.group(2)
    return value
