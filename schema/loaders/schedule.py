"""The schedule domain's DataLoaders: milestones, phases, re-baselines and whole schedules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from aiodataloader import DataLoader

from schema.context import RequestContext
from schema.loaders import ByIdLoader, ByParentLoader, ReadyLoader
from server.domain import models
from server.domain.rows import queryset_rows
from server.domain.rows.plans import MilestoneRow, PhaseRow, RebaselineRow
from server.domain.schedule import ProjectSchedule, load_schedules, overdue_q


class MilestoneLoader(ByIdLoader):
    """Milestones by id."""

    row = MilestoneRow


class PhaseLoader(ByIdLoader):
    """Roadmap phases by id."""

    row = PhaseRow


class ProjectPhasesLoader(ByParentLoader):
    """The roadmap of each project (key: project id), ordered by sequence."""

    row = PhaseRow
    parent_field = "project_id"
    order_by = ("sequence", "id")


class RebaselinesLoader(ByParentLoader):
    """The re-baseline history of each milestone (key: milestone id), oldest first."""

    row = RebaselineRow
    parent_field = "milestone_id"
    order_by = ("at", "id")


class ProjectScheduleLoader(ReadyLoader):
    """Milestones, dependencies and forecasts of each project (key: project id)."""

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[ProjectSchedule]:
        return await load_schedules(list(project_ids), self.context.today)


class FilteredMilestonesLoader(DataLoader):
    """Milestones of each project that pass a filter, chosen by the database.

    Key: (project id, status or None, overdue only); one statement per distinct filter.
    """

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(
        self, keys: Iterable[tuple[int, str | None, bool]]
    ) -> list[list[MilestoneRow]]:
        keys = list(keys)
        groups: dict[tuple[str | None, bool], list[int]] = defaultdict(list)
        for project_id, status, overdue_only in keys:
            groups[(status, overdue_only)].append(project_id)
        found: dict[tuple[int, str | None, bool], list[MilestoneRow]] = defaultdict(list)
        for (status, overdue_only), project_ids in groups.items():
            queryset = models.Milestone.filter(project_id__in=project_ids)
            if status is not None:
                queryset = queryset.filter(status=status)
            if overdue_only:
                queryset = queryset.filter(overdue_q(self.context.today))
            ordered = queryset.order_by("planned_date", "id")
            for milestone in await queryset_rows(MilestoneRow, ordered):
                found[(milestone.project_id, status, overdue_only)].append(milestone)
        return [found[key] for key in keys]
