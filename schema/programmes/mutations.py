"""Programme mutations: `createProgramme`."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import errors_field
from schema.mutations import mutation
from schema.programmes.types import Programme
from server.domain import models, programmes
from server.domain.access import PLANNERS


class CreateProgrammeInput(graphene.InputObjectType):
    """A new programme; code and year together are unique."""

    code = graphene.String(required=True, description='The programme\'s number, e.g. "1090".')
    name = graphene.String(required=True, description='The programme\'s name, e.g. "重大产业项目".')
    year = graphene.Int(required=True, description="The programme's year.")


class ProgrammePayload(graphene.ObjectType):
    """Result of `createProgramme`."""

    programme = graphene.Field(Programme, description="The new programme.")
    errors = errors_field()


@mutation(ProgrammePayload, CreateProgrammeInput, roles=PLANNERS, description="Create a programme.")
async def create_programme(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    programme = await programmes.create_programme(user, input.code, input.name, input.year)
    return {"programme": programme}


class Mutations:
    """Programme mutations."""

    create_programme = create_programme
