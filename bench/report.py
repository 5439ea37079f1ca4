"""The bench's table (ratios only) and its raw numbers (bench/results.json)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path("bench/results.json")


@dataclass
class Row:
    """One line of the table: a GraphQL figure divided by its baseline's, and the goal."""

    name: str
    ratio: float | None
    goal: str
    met: bool | None
    statements: str = ""
    same_json: bool | None = None
    cpu_ratio: float | None = None
    full_scans: str = ""
    note: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


def _cell(row: Row) -> list[str]:
    ratio = "n/a" if row.ratio is None else f"{row.ratio:.2f}"
    met = {True: "yes", False: "NO", None: "-"}[row.met]
    same = {True: "yes", False: "NO", None: "-"}[row.same_json]
    cpu = "n/a" if row.cpu_ratio is None else f"{row.cpu_ratio:.2f}"
    return [row.name, ratio, row.goal, met, cpu, same, row.statements, row.full_scans, row.note]


def table(rows: list[Row]) -> str:
    """The rows as an aligned plain-text table."""
    header = [
        "row",
        "ratio",
        "goal",
        "met",
        "CPU/req ratio",
        "same JSON",
        "SQL/request",
        "full scans",
        "note",
    ]
    return aligned([header] + [_cell(row) for row in rows])


def aligned(cells: list[list[str]]) -> str:
    """Rows of cells, the first a header, as an aligned plain-text table."""
    widths = [max(_width(line[i]) for line in cells) for i in range(len(cells[0]))]
    lines = []
    for index, line in enumerate(cells):
        padded = [value + " " * (widths[i] - _width(value)) for i, value in enumerate(line)]
        lines.append(" | ".join(padded).rstrip())
        if index == 0:
            lines.append("-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def write(rows: list[Row], meta: dict[str, Any], path: Path = RESULTS) -> None:
    """Write the raw numbers of every row, with the run's circumstances."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, "rows": [asdict(row) for row in rows]}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
