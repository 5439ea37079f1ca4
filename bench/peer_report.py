"""The peer rows: wallchart against PostGraphile, their goals, and the table that shows them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.report import aligned


@dataclass(frozen=True)
class Goal:
    """A bound on one ratio wallchart ÷ peer: of total CPU per request or of throughput."""

    figure: str  # "cpu" or "throughput"
    bound: float

    @property
    def text(self) -> str:
        """The goal as the table shows it."""
        if self.figure == "cpu":
            return f"total CPU <= {self.bound:g}x"
        return f"throughput >= {self.bound:g}x"

    def met(self, throughput: float | None, cpu: float | None) -> bool | None:
        """Whether the ratios meet the goal (None when its ratio was not measured)."""
        if self.figure == "cpu":
            return None if cpu is None else cpu <= self.bound
        return None if throughput is None else throughput >= self.bound


GOALS = {
    "home_data": Goal("cpu", 1.5),
    "home_full": Goal("cpu", 2.0),
    "overdue": Goal("cpu", 1.5),
    "office": Goal("cpu", 1.5),
    "me": Goal("throughput", 0.9),
}
# Server CPU per returned object the office report aims at, in µs.
OBJECT_AIM_US = 20.0


@dataclass
class Figures:
    """One side's timed runs of one query: per round, requests, seconds and CPU."""

    requests: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    app_cpu: list[float] = field(default_factory=list)
    pg_cpu: list[float | None] = field(default_factory=list)
    failures: int = 0

    def add(self, requests: int, seconds: float, app: float, pg: float | None) -> None:
        """Record one round."""
        self.requests.append(requests)
        self.seconds.append(seconds)
        self.app_cpu.append(app)
        self.pg_cpu.append(pg)

    def throughputs(self) -> list[float]:
        """Requests per second of each round."""
        return [n / s if s > 0 else 0.0 for n, s in zip(self.requests, self.seconds, strict=True)]

    def app_ms(self) -> float | None:
        """Server CPU milliseconds per request over all rounds."""
        total = sum(self.requests)
        return sum(self.app_cpu) * 1000 / total if total else None

    def pg_ms(self) -> float | None:
        """PostgreSQL CPU milliseconds per request over all rounds (None if not visible)."""
        total = sum(self.requests)
        if not total or not self.pg_cpu or any(value is None for value in self.pg_cpu):
            return None
        return sum(value for value in self.pg_cpu if value is not None) * 1000 / total

    def total_ms(self) -> float | None:
        """Server plus PostgreSQL CPU milliseconds per request (server alone if PG unseen)."""
        app = self.app_ms()
        if app is None:
            return None
        return app + (self.pg_ms() or 0.0)


def throughput_ratio(ours: Figures, theirs: Figures) -> float | None:
    """Median over interleaved rounds of wallchart's req/s ÷ the peer's."""
    ratios = [
        mine / other
        for mine, other in zip(ours.throughputs(), theirs.throughputs(), strict=False)
        if other > 0
    ]
    return statistics.median(ratios) if ratios else None


def cpu_ratio(ours: Figures, theirs: Figures) -> float | None:
    """Total CPU per request (server + PostgreSQL) of wallchart ÷ the peer's."""
    mine, other = ours.total_ms(), theirs.total_ms()
    if mine is None or not other:
        return None
    return mine / other


@dataclass
class PeerRow:
    """One line of the peer table."""

    key: str
    label: str
    ours: Figures
    theirs: Figures | None
    same_rows: bool | None
    objects: int = 0
    note: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def ratios(self) -> tuple[float | None, float | None]:
        """(throughput ratio, total-CPU ratio), wallchart ÷ peer."""
        if self.theirs is None:
            return None, None
        return throughput_ratio(self.ours, self.theirs), cpu_ratio(self.ours, self.theirs)

    def per_object_us(self, figures: Figures) -> float | None:
        """Server CPU microseconds per returned object."""
        app = figures.app_ms()
        return app * 1000 / self.objects if app is not None and self.objects else None


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _cpu(figures: Figures | None) -> str:
    if figures is None:
        return "-"
    return f"{_ms(figures.app_ms())} + {_ms(figures.pg_ms())}"


def _rps(figures: Figures | None) -> str:
    if figures is None or not figures.requests:
        return "-"
    return f"{statistics.median(figures.throughputs()):.0f}"


def _yes(value: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[value]


def cells(row: PeerRow) -> list[str]:
    """The table cells of one row."""
    throughput, cpu = row.ratios()
    goal = GOALS.get(row.key)
    return [
        row.label,
        _rps(row.ours),
        _rps(row.theirs),
        "n/a" if throughput is None else f"{throughput:.2f}",
        _cpu(row.ours),
        _cpu(row.theirs),
        "n/a" if cpu is None else f"{cpu:.2f}",
        goal.text if goal else "",
        _yes(goal.met(throughput, cpu) if goal else None),
        _yes(row.same_rows),
        row.note,
    ]


HEADER = [
    "query (wallchart vs PostGraphile)",
    "wc req/s",
    "peer req/s",
    "req/s ratio",
    "wc CPU ms/req app + PG",
    "peer CPU ms/req app + PG",
    "total CPU ratio",
    "goal",
    "met",
    "same rows",
    "note",
]


def table(rows: list[PeerRow]) -> str:
    """The peer rows as an aligned plain-text table."""
    return aligned([HEADER] + [cells(row) for row in rows])


def requests(rows: list[PeerRow]) -> tuple[int, int]:
    """(requests sent, requests failed) over every timed run of the rows."""
    sides = [side for row in rows for side in (row.ours, row.theirs) if side]
    return sum(sum(side.requests) for side in sides), sum(side.failures for side in sides)


def summary(row: PeerRow) -> dict[str, Any]:
    """The raw figures of one row, for results.json."""
    throughput, cpu = row.ratios()
    goal = GOALS.get(row.key)
    sides = {"wallchart": row.ours, "peer": row.theirs}
    return {
        "key": row.key,
        "label": row.label,
        "throughput_ratio": throughput,
        "total_cpu_ratio": cpu,
        "goal": goal.text if goal else None,
        "met": goal.met(throughput, cpu) if goal else None,
        "same_rows": row.same_rows,
        "objects": row.objects,
        "note": row.note,
        **{
            name: None
            if side is None
            else {
                "requests": side.requests,
                "seconds": side.seconds,
                "app_cpu_ms_per_request": side.app_ms(),
                "pg_cpu_ms_per_request": side.pg_ms(),
                "failures": side.failures,
            }
            for name, side in sides.items()
        },
        **row.raw,
    }
