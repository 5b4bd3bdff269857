"""Override analytics rendered for people and programs: JSON (the contract), CSV, a text table.

``GET /analytics/rules`` and ``baclofen-cds report`` both render from here, so the two always
show the same rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from service.store.analytics import RuleStats

FORMATS = ("json", "csv", "table")
CSV_COLUMNS = (
    "service",
    "rule",
    "issued",
    "accepted",
    "overridden",
    "overrideRate",
    "topOverrideReasons",
)


def rate(stats: RuleStats) -> float:
    return round(stats.override_rate, 4)


def as_json(rows: Sequence[RuleStats]) -> dict[str, Any]:
    return {
        "rules": [
            {
                "service": row.service,
                "rule": row.rule,
                "issued": row.issued,
                "accepted": row.accepted,
                "overridden": row.overridden,
                "overrideRate": rate(row),
                "topOverrideReasons": [
                    {"code": reason.code, "display": reason.display, "count": reason.count}
                    for reason in row.top_override_reasons
                ],
            }
            for row in rows
        ]
    }


def _reasons_cell(row: RuleStats) -> str:
    return "; ".join(f"{reason.code}={reason.count}" for reason in row.top_override_reasons)


# What a spreadsheet reads as the start of a formula (OWASP, "CSV injection"). Stored codes
# cannot start so (cds_hooks.feedback), but rows written before that check may.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """The cell as text, never a formula: a leading formula character is quoted away."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def as_csv(rows: Sequence[RuleStats]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                spreadsheet_safe(row.service),
                spreadsheet_safe(row.rule),
                row.issued,
                row.accepted,
                row.overridden,
                f"{rate(row):.4f}",
                spreadsheet_safe(_reasons_cell(row)),
            ]
        )
    return out.getvalue()


def as_table(rows: Sequence[RuleStats]) -> str:
    header = ("service", "rule", "issued", "accepted", "overridden", "override rate", "top reasons")
    lines = [
        (
            row.service,
            row.rule,
            str(row.issued),
            str(row.accepted),
            str(row.overridden),
            f"{row.override_rate:.1%}",
            _reasons_cell(row),
        )
        for row in rows
    ]
    if not lines:
        return "no cards issued in this window\n"
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    numeric = {2, 3, 4, 5}

    def render(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return (
        "\n".join([render(header), render(["-" * w for w in widths]), *map(render, lines)]) + "\n"
    )
