"""Programme progress: the year's investment and the baseline execution index (BEI).

BEI = milestones finished by the status date ÷ milestones whose baseline date is on or before
it. A milestone finished early counts in the numerator, so the index can pass 1; the target is
0.95 or more. With nothing baselined yet the index is undefined (None).
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from server.domain.access import ProjectScope
from server.domain.models import MilestoneStatus
from server.domain.rawsql import fetch

BEI_TARGET = 0.95
CENTS = decimal.Decimal("0.01")


@dataclass(frozen=True)
class Execution:
    """Finished versus baselined milestones of a programme, a project or a unit."""

    key: str
    label: str
    finished: int
    baselined: int

    @property
    def index(self) -> float | None:
        """The baseline execution index, or None when nothing was due yet."""
        return self.finished / self.baselined if self.baselined else None

    @property
    def meets_target(self) -> bool | None:
        """True when the index reaches BEI_TARGET; None when it is undefined."""
        index = self.index
        return None if index is None else index >= BEI_TARGET


@dataclass(frozen=True)
class Progress:
    """The progress figures of one programme."""

    investment_target: decimal.Decimal | None
    completed_investment: decimal.Decimal | None
    execution: Execution
    by_project: list[Execution]
    by_unit: list[Execution]


def _money(value: Any) -> decimal.Decimal | None:
    """A database sum as exact cents (SQLite sums decimals as floats)."""
    return None if value is None else decimal.Decimal(str(value)).quantize(CENTS)


async def investment_by_programme(
    programme_ids: Sequence[int], scope: ProjectScope
) -> dict[int, tuple[decimal.Decimal | None, decimal.Decimal | None]]:
    """(target, completed) summed over the newest revision of the task sheet for the
    programme's year of each project in `scope`, in one statement; None where no sheet gives
    a figure."""
    params: dict[str, Any] = {"programmes": list(programme_ids)}
    visible = scope.sql("pp.project_id", params)
    rows = await fetch(
        "SELECT pp.programme_id AS programme_id,"
        " SUM(ts.annual_investment_target) AS target, SUM(ts.completed_investment) AS completed"
        " FROM project_programme pp"
        " JOIN programme g ON g.id = pp.programme_id"
        " JOIN task_sheet ts ON ts.project_id = pp.project_id AND ts.year = g.year"
        f" WHERE pp.programme_id IN (:programmes){visible}"
        " AND ts.revision = (SELECT MAX(t2.revision) FROM task_sheet t2"
        "  WHERE t2.project_id = ts.project_id AND t2.year = ts.year)"
        " GROUP BY pp.programme_id",
        params,
    )
    found = {row["programme_id"]: (_money(row["target"]), _money(row["completed"])) for row in rows}
    return {pid: found.get(pid, (None, None)) for pid in programme_ids}


async def progress_by_programme(
    programme_ids: Sequence[int], status_date: Any, scope: ProjectScope
) -> dict[int, Progress]:
    """Investment and BEI of each programme, its projects in `scope` and their units (two
    statements).

    Projects are keyed by database id, units by name; both lists are ordered worst index
    first (undefined last), then by key.
    """
    if not programme_ids:
        return {}
    investment = await investment_by_programme(programme_ids, scope)
    params: dict[str, Any] = {
        "programmes": list(programme_ids),
        "status_date": status_date,
        "done": MilestoneStatus.DONE.value,
    }
    visible = scope.sql("pp.project_id", params)
    rows = await fetch(
        "SELECT pp.programme_id AS programme_id, p.id AS project_id, p.code AS code,"
        " p.name AS name, p.responsible_unit AS unit,"
        " SUM(CASE WHEN m.status = :done AND m.actual_date <= :status_date"
        "  THEN 1 ELSE 0 END) AS finished,"
        " SUM(CASE WHEN m.baseline_date <= :status_date THEN 1 ELSE 0 END) AS baselined"
        " FROM project_programme pp"
        " JOIN project p ON p.id = pp.project_id"
        " JOIN milestone m ON m.project_id = p.id"
        f" WHERE pp.programme_id IN (:programmes){visible}"
        " GROUP BY pp.programme_id, p.id, p.code, p.name, p.responsible_unit",
        params,
    )
    projects: dict[int, list[Execution]] = {pid: [] for pid in programme_ids}
    units: dict[int, dict[str, list[int]]] = {pid: {} for pid in programme_ids}
    for row in rows:
        finished, baselined = int(row["finished"]), int(row["baselined"])
        projects[row["programme_id"]].append(
            Execution(str(row["project_id"]), f"{row['code']} {row['name']}", finished, baselined)
        )
        totals = units[row["programme_id"]].setdefault(row["unit"], [0, 0])
        totals[0] += finished
        totals[1] += baselined
    result = {}
    for pid in programme_ids:
        by_unit = [Execution(unit, unit, f, b) for unit, (f, b) in units[pid].items()]
        result[pid] = Progress(
            investment_target=investment[pid][0],
            completed_investment=investment[pid][1],
            execution=Execution(
                str(pid),
                "",
                sum(e.finished for e in projects[pid]),
                sum(e.baselined for e in projects[pid]),
            ),
            by_project=sorted(projects[pid], key=_worst_first),
            by_unit=sorted(by_unit, key=_worst_first),
        )
    return result


def _worst_first(execution: Execution) -> tuple[bool, float, str]:
    index = execution.index
    return (index is None, index if index is not None else 0.0, execution.key)
