"""The projects domain's DataLoaders: projects, their programmes, site managers, health and
task sheets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from aiodataloader import DataLoader

from schema.context import RequestContext
from schema.loaders import ByIdLoader, ByParentLoader, ReadyLoader
from server.domain import health, models
from server.domain.health import Cutoffs


class ProjectLoader(ByIdLoader):
    """Projects by id."""

    model = models.Project


class TaskSheetLoader(ByIdLoader):
    """Task sheets by id."""

    model = models.TaskSheet


class TaskItemLoader(ByIdLoader):
    """Task items by id."""

    model = models.TaskItem


class ProjectTaskSheetsLoader(ByParentLoader):
    """Every task sheet revision of each project (key: project id), newest first."""

    model = models.TaskSheet
    parent_field = "project_id"
    order_by = ("-year", "-revision")


class TaskItemsLoader(ByParentLoader):
    """The items of each task sheet (key: sheet id), in order."""

    model = models.TaskItem
    parent_field = "sheet_id"
    order_by = ("position", "id")


class ProjectProgrammesLoader(DataLoader):
    """The programmes of each project (key: project id), in two statements per batch."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[list[models.Programme]]:
        project_ids = list(project_ids)
        pairs = await models.Project.filter(
            id__in=project_ids, programmes__id__isnull=False
        ).values_list("id", "programmes__id")
        programmes = await models.Programme.filter(id__in={p for _, p in pairs}).order_by(
            "-year", "code"
        )
        wanted: dict[int, set[int]] = defaultdict(set)
        for project_id, programme_id in pairs:
            wanted[project_id].add(programme_id)
        return [[p for p in programmes if p.id in wanted[pid]] for pid in project_ids]


class ProjectSiteManagersLoader(DataLoader):
    """The site managers of each project (key: project id), in two statements per batch."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[list[models.User]]:
        project_ids = list(project_ids)
        pairs = await models.Project.filter(
            id__in=project_ids, site_managers__id__isnull=False
        ).values_list("id", "site_managers__id")
        users = await models.User.filter(id__in={u for _, u in pairs}).order_by("username")
        wanted: dict[int, set[int]] = defaultdict(set)
        for project_id, user_id in pairs:
            wanted[project_id].add(user_id)
        return [[u for u in users if u.id in wanted[pid]] for pid in project_ids]


class ProjectHealthLoader(ReadyLoader):
    """The health of each project (key: project id), computed by the database in one statement."""

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[health.Health]:
        project_ids = list(project_ids)
        cutoffs = Cutoffs.of(self.context.today, self.context.settings)
        found = await health.health_of(project_ids, cutoffs)
        return [found[pid] for pid in project_ids]
