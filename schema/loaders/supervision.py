"""The supervision domain's DataLoaders."""

from __future__ import annotations

from collections.abc import Iterable

from aiodataloader import DataLoader

from schema.context import RequestContext
from schema.loaders import ByIdLoader, ByParentLoader
from server.domain import progress
from server.domain.access import acting_user, project_scope
from server.domain.rows.supervision import ReviewRow


class ReviewLoader(ByIdLoader):
    """Supervision reviews by id."""

    row = ReviewRow


class MilestoneReviewsLoader(ByParentLoader):
    """The reviews of each milestone (key: milestone id), oldest first."""

    row = ReviewRow
    parent_field = "milestone_id"
    order_by = ("created_at", "id")


class ProgrammeProgressLoader(DataLoader):
    """Investment and execution of each programme (key: programme id), in two statements,
    over the projects the viewer may see."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, programme_ids: Iterable[int]) -> list[progress.Progress]:
        programme_ids = list(programme_ids)
        scope = project_scope(acting_user(self.context.access))
        found = await progress.progress_by_programme(programme_ids, self.context.today, scope)
        return [found[pid] for pid in programme_ids]
