"""The projects domain's DataLoaders: projects, their programmes, site managers, health and
task sheets."""

from __future__ import annotations

from collections.abc import Iterable

from schema.loaders import ByIdLoader, ByLinkLoader, ByParentLoader, ReadyLoader
from server.domain import health
from server.domain.health import Cutoffs
from server.domain.rows.accounts import UserRow
from server.domain.rows.plans import ProgrammeRow, ProjectRow, TaskItemRow, TaskSheetRow


class ProjectLoader(ByIdLoader):
    """Projects by id."""

    row = ProjectRow


class TaskSheetLoader(ByIdLoader):
    """Task sheets by id."""

    row = TaskSheetRow


class TaskItemLoader(ByIdLoader):
    """Task items by id."""

    row = TaskItemRow


class ProjectTaskSheetsLoader(ByParentLoader):
    """Every task sheet revision of each project (key: project id), newest first."""

    row = TaskSheetRow
    parent_field = "project_id"
    order_by = ("-year", "-revision")


class TaskItemsLoader(ByParentLoader):
    """The items of each task sheet (key: sheet id), in order."""

    row = TaskItemRow
    parent_field = "sheet_id"
    order_by = ("position", "id")


class ProjectProgrammesLoader(ByLinkLoader):
    """The programmes of each project (key: project id), newest year first."""

    through = "project_programme"
    column = "programme_id"
    row = ProgrammeRow
    order_by = ("-year", "code")


class ProjectSiteManagersLoader(ByLinkLoader):
    """The site managers of each project (key: project id), by username."""

    through = "project_site_manager"
    column = "user_id"
    row = UserRow
    order_by = ("username",)


class ProjectHealthLoader(ReadyLoader):
    """The health of each project (key: project id), computed by the database in one statement."""

    async def batch_load_fn(self, project_ids: Iterable[int]) -> list[health.Health]:
        project_ids = list(project_ids)
        cutoffs = Cutoffs.of(self.context.today, self.context.settings)
        found = await health.health_of(project_ids, cutoffs)
        return [found[pid] for pid in project_ids]
