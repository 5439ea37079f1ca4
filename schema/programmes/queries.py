"""Programme queries: `programmes(year)`."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import ApiError
from schema.permissions import requires
from schema.programmes.types import Programme
from server.domain.access import READERS
from server.domain.programmes import programmes_of
from server.domain.rows.plans import ProgrammeRow


class Queries:
    """Programme queries."""

    programmes = graphene.List(
        graphene.NonNull(Programme),
        required=True,
        year=graphene.Int(description="Only this year's programmes."),
        description="The programmes, newest year first, then by code.",
    )

    @staticmethod
    @requires(READERS)
    async def resolve_programmes(
        root: Any, info: ResolveInfo, year: int | None = None
    ) -> list[ProgrammeRow]:
        try:
            return await programmes_of(year)
        except ValueError as exc:
            raise ApiError("INVALID", str(exc)) from None
