"""The programmes domain's DataLoaders."""

from __future__ import annotations

from collections.abc import Iterable

from aiodataloader import DataLoader

from schema.context import RequestContext
from schema.loaders import ByIdLoader
from server.domain.access import acting_user, project_scope
from server.domain.health import Cutoffs
from server.domain.rows.plans import ProgrammeRow
from server.domain.stats import ProgrammeStats, programme_stats


class ProgrammeLoader(ByIdLoader):
    """Programmes by id."""

    row = ProgrammeRow


class ProgrammeStatsLoader(DataLoader):
    """The figures of each programme (key: programme id) over the projects the viewer may
    see, in three statements per batch."""

    def __init__(self, context: RequestContext) -> None:
        super().__init__()
        self.context = context

    async def batch_load_fn(self, programme_ids: Iterable[int]) -> list[ProgrammeStats]:
        programme_ids = list(programme_ids)
        scope = project_scope(acting_user(self.context.access))
        cutoffs = Cutoffs.of(self.context.today, self.context.settings)
        return await programme_stats(programme_ids, cutoffs, scope)
