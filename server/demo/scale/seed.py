"""`seed-scale`: build a zone's rows and write them into an empty database."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise import connections

from server.demo.scale.generator import ScaleGenerator
from server.demo.scale.tables import complete_rows
from server.demo.scale.writer import write_postgres, write_sqlite
from server.domain import models
from server.domain.accounts import hash_password
from server.domain.clock import zone_today
from server.settings import Settings


@dataclass
class ScaleReport:
    """What a run of the generator wrote: rows per table."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        """All rows written."""
        return sum(self.counts.values())


async def seed_scale(settings: Settings, projects: int, seed: int = 1) -> ScaleReport:
    """Fill the (empty, migrated, ORM-initialised) database with a zone of `projects` projects."""
    if await models.Project.exists() or await models.User.exists():
        raise ValueError("seed-scale needs an empty database: it already has users or projects")
    generator = ScaleGenerator(
        projects, zone_today(settings.zone), hash_password(settings.demo_password), seed
    )
    tables = [complete_rows(table, generator.now) for table in generator.build()]
    client = connections.get("default")
    if settings.database_url.startswith("sqlite://"):
        await write_sqlite(client, tables)
    else:
        await write_postgres(client, tables)
    return ScaleReport({table.name: len(table.rows) for table in tables})
