"""Types of the board over time: what changed between two days (`boardChanges`)."""

from __future__ import annotations

import graphene
from graphene import ResolveInfo

from schema.loaders.projects import ProjectLoader
from schema.projects.types import Health
from schema.scalars import Date
from server.domain.board_changes import ColourChange as ColourChangeRow
from server.domain.health import Health as HealthValue
from server.domain.rows.plans import ProjectRow


class ColourChange(graphene.ObjectType):
    """A project's colour on the board changed from one daily snapshot to the next."""

    project = graphene.Field(
        "schema.projects.types.Project", required=True, description="The project."
    )
    date = graphene.Field(Date, required=True, description="The day of the new colour.")
    from_ = graphene.Field(
        Health, name="from", required=True, description="The colour of the snapshot before."
    )
    to = graphene.Field(Health, required=True, description="The colour from `date` on.")

    @staticmethod
    async def resolve_project(root: ColourChangeRow, info: ResolveInfo) -> ProjectRow:
        return await info.context.loaders.get(ProjectLoader).load(root.project_id)

    @staticmethod
    def resolve_from_(root: ColourChangeRow, info: ResolveInfo) -> HealthValue:
        return root.before

    @staticmethod
    def resolve_to(root: ColourChangeRow, info: ResolveInfo) -> HealthValue:
        return root.after


def _list_of(node: str, description: str) -> graphene.List:
    """A required list of required `node`s (a dotted path to the type)."""
    return graphene.List(graphene.NonNull(node), required=True, description=description)


class BoardChanges(graphene.ObjectType):
    """What changed on the board between two days, one list per section of the weekly
    meeting (挂图作战): colours, milestones, tickets and supervision."""

    colour_changes = graphene.List(
        graphene.NonNull(ColourChange),
        required=True,
        description="Colour changes between consecutive daily snapshots (the day before the "
        "window included, so a change on its first day counts), by day.",
    )
    newly_overdue = _list_of(
        "schema.schedule.types.Milestone",
        "Milestones whose first overdue day (planned date + 1) falls in the window and that "
        "were not done on or before their planned date, by planned date.",
    )
    completed = _list_of(
        "schema.schedule.types.Milestone", "Milestones done in the window, by actual date."
    )
    rebaselined = _list_of(
        "schema.schedule.types.Milestone",
        "Milestones whose planned date was moved in the window, by project.",
    )
    tickets_opened = _list_of(
        "schema.tickets.types.ShortageTicket", "Shortage tickets filed in the window."
    )
    tickets_closed = _list_of(
        "schema.tickets.types.ShortageTicket",
        "Shortage tickets confirmed (CLOSED) or rejected (REJECTED) in the window.",
    )
    tickets_reopened = _list_of(
        "schema.tickets.types.ShortageTicket", "Shortage tickets reopened in the window."
    )
    reviews_issued = _list_of(
        "schema.supervision.types.SupervisionReview",
        "Supervision instructions (督办) issued in the window.",
    )
    reviews_answered = _list_of(
        "schema.supervision.types.SupervisionReview",
        "Supervision instructions the site answered in the window.",
    )
