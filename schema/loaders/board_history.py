"""DataLoaders of the board history: colours and programme figures of past days, from the
daily snapshots."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from aiodataloader import DataLoader

from schema.context import RequestContext
from server.domain import board_history
from server.domain.access import acting_user, project_scope
from server.domain.health import Health
from server.domain.stats import ProgrammeStats

HistoryKey = tuple[int, dt.date, dt.date]
"""(project id, first day, last day)."""


class SnapshotHealthLoader(DataLoader):
    """The recorded colour of (project id, day); None when the day has no line for it."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, keys: Iterable[tuple[int, dt.date]]) -> list[Health | None]:
        keys = list(keys)
        found = await board_history.health_on(keys)
        return [found.get(key) for key in keys]


class HealthHistoryLoader(DataLoader):
    """The recorded colours of (project id, first day, last day), oldest first: one statement
    per distinct range in the batch."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, keys: Iterable[HistoryKey]) -> list[list[tuple[dt.date, Health]]]:
        keys = list(keys)
        ranges: dict[tuple[dt.date, dt.date], list[int]] = {}
        for project_id, start, end in keys:
            ranges.setdefault((start, end), []).append(project_id)
        found: dict[HistoryKey, list[tuple[dt.date, Health]]] = {}
        for (start, end), ids in ranges.items():
            for row in await board_history.snapshots_between(ids, start, end):
                found.setdefault((row.project_id, start, end), []).append(
                    (row.date, Health(row.health))
                )
        return [found.get(key, []) for key in keys]


class ProgrammeStatsOnDateLoader(DataLoader):
    """The figures of (programme id, past day) from that day's snapshots, over the projects
    the viewer may see: one statement per day in the batch."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, keys: Iterable[tuple[int, dt.date]]) -> list[ProgrammeStats]:
        keys = list(keys)
        scope = project_scope(acting_user(self.context.access))
        by_day: dict[dt.date, list[int]] = {}
        for programme_id, day in keys:
            by_day.setdefault(day, []).append(programme_id)
        found = {}
        for day, ids in by_day.items():
            for stats in await board_history.programme_stats_on(ids, day, scope):
                found[(stats.programme_id, day)] = stats
        return [found[key] for key in keys]
