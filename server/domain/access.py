"""Who may see and do what: the one home of every access rule.

The rules, in words:

- Site managers see the projects they manage, and everything that belongs to those projects
  (task sheets, phases, milestones, photos, tickets, reviews, summaries). Every other role
  sees every project.
- Coordinators see only the shortage tickets handed to them; everyone else sees the tickets
  of the projects they see.
- Photo originals (full resolution, with their EXIF) are for the office, supervisors, admins
  and the project's own site managers; everyone who sees the project sees the variants.
- People: administrators manage accounts; office staff and supervisors read them too (to
  assign tickets, to read the audit log). Everyone reads their own sessions; administrators
  read and end anyone's. A user who must change their password may only change it, read
  `me` and sign out until they do.
- The audit log is for administrators (all of it) and supervisors (everything but the
  accounts' own entries: sign-ins, passwords, sessions, user administration).
- With persisted queries in allow-list mode, only office staff and administrators run
  documents that are not registered; everyone else runs the registered ones only.
- What each role may *do* is declared here as role sets, and checked by the schema's
  mutation wrapper and query guard, the exports and the domain functions.

Queries get visibility as a `ProjectScope` (a SQL condition with named parameters, or a
QuerySet filter); resolvers get it through `Access`, one per request, which asks the
database for the viewer's managed projects once and answers every later check from memory.
A new role or rule is one edit here (and one row in `tests/server/domain/test_access.py`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from tortoise.expressions import Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from server.domain.errors import FieldPath, Refused
from server.domain.models import Milestone, Project, Role, ShortageTicket, User
from server.domain.rawsql import fetch
from server.domain.rows.tickets import TicketRow

ModelT = TypeVar("ModelT", bound=Model)

# --- what each role may do ----------------------------------------------------------------

EVERYONE_SIGNED_IN: frozenset[Role] = frozenset(Role)
READERS: frozenset[Role] = frozenset(
    {Role.OFFICE, Role.ADMIN, Role.SUPERVISOR, Role.COORDINATOR, Role.SITE_MANAGER}
)
PLANNERS: frozenset[Role] = frozenset({Role.OFFICE, Role.ADMIN})
"""Create and change programmes, projects, task sheets, phases and milestones."""
SITE_WRITERS: frozenset[Role] = frozenset({Role.SITE_MANAGER, Role.OFFICE, Role.ADMIN})
"""Upload photos, file tickets, complete milestones, answer reviews (site managers only on
their own projects)."""
REVIEWERS: frozenset[Role] = frozenset({Role.SUPERVISOR, Role.ADMIN})
"""Issue supervision reviews."""
EXPORT_READERS: frozenset[Role] = frozenset({Role.SUPERVISOR, Role.OFFICE, Role.ADMIN})
"""Download the spreadsheets."""
ORIGINAL_READERS: frozenset[Role] = frozenset({Role.OFFICE, Role.SUPERVISOR, Role.ADMIN})
"""Read every photo original (site managers read their own projects')."""
TICKET_ASSIGNEES: frozenset[Role] = frozenset({Role.COORDINATOR, Role.OFFICE})
"""Roles a shortage ticket can be handed to."""
TICKET_OFFICE: frozenset[Role] = frozenset({Role.OFFICE, Role.ADMIN})
"""Roles that act for the office in the ticket workflow."""


DAILY_REPORT_FILERS: frozenset[Role] = SITE_WRITERS
"""File a project's daily report (site managers only for their projects)."""
LATE_REPORT_EDITORS: frozenset[Role] = PLANNERS
"""Amend a daily report after the site's window (the day and the next) has closed."""
REPORT_WINDOW_DAYS = 1
"""Days after a report's date on which its site managers may still amend it."""


USER_ADMINS: frozenset[Role] = frozenset({Role.ADMIN})
"""Create, change, disable users and reset their passwords."""
USER_READERS: frozenset[Role] = frozenset({Role.ADMIN, Role.OFFICE, Role.SUPERVISOR})
"""List users (`users`)."""
AUDIT_READERS: frozenset[Role] = frozenset({Role.ADMIN, Role.SUPERVISOR})
"""Read the audit log (supervisors without the account entries, see `audit_types_hidden_from`)."""
ACCOUNT_AUDIT_TYPES: frozenset[str] = frozenset({"User", "AuthToken"})
"""Audit entries about accounts and their tokens: only administrators read them."""
BEFORE_PASSWORD_CHANGE: frozenset[str] = frozenset({"changePassword", "me", "logout"})
"""The root fields a user who must change their password may use until they do."""
UNREGISTERED_DOCUMENT_RUNNERS: frozenset[Role] = frozenset({Role.OFFICE, Role.ADMIN})
"""Run documents that are not registered when persisted queries are in allow-list mode.

Office staff and administrators run their own scripts and reports against the API; the
site managers' app, every other role and anyone not signed in (`login` included) run only
the documents registered with `register-queries`, as a released mobile app is locked down.
"""


def audit_types_hidden_from(user: User) -> frozenset[str]:
    """The audit entries' object types (model names) `user` may not read; AUDIT_READERS only."""
    return frozenset() if user.role == Role.ADMIN else ACCOUNT_AUDIT_TYPES


def sees_sessions_of(viewer: User, owner_id: int) -> bool:
    """True when `viewer` may list and end the sign-in sessions of user `owner_id`."""
    return viewer.id == owner_id or viewer.role in USER_ADMINS


def allowed_before_password_change(user: User, root_fields: frozenset[str]) -> bool:
    """False when `user` must change their password and the operation asks for more than
    BEFORE_PASSWORD_CHANGE (and `__typename`)."""
    if not user.must_change_password:
        return True
    return root_fields <= BEFORE_PASSWORD_CHANGE | {"__typename"}


def may_run_unregistered_documents(user: User | None) -> bool:
    """True when `user` may run documents outside the allow-list (UNREGISTERED_DOCUMENT_RUNNERS)."""
    return user is not None and user.role in UNREGISTERED_DOCUMENT_RUNNERS


def may_amend_daily_report(user: User, report_date: dt.date, today: dt.date) -> bool:
    """True when `user` (one who may file for the project) may still change the report of
    `report_date`: office staff and admins always, site managers until the end of the next day."""
    if user.role in LATE_REPORT_EDITORS:
        return True
    return user.role in DAILY_REPORT_FILERS and (today - report_date).days <= REPORT_WINDOW_DAYS


def sees_every_project(user: User) -> bool:
    """True for roles that read every project (all but SITE_MANAGER)."""
    return user.role != Role.SITE_MANAGER


# --- the visible-project scope ------------------------------------------------------------

_MANAGED_SQL = "SELECT project_id FROM project_site_manager WHERE user_id = :scope_user"


@dataclass(frozen=True, slots=True)
class ProjectScope:
    """The projects a user may see: all of them, or those one site manager manages."""

    manager_id: int | None
    """The site manager whose projects these are; None for every project."""

    @property
    def everything(self) -> bool:
        """True when no project is hidden."""
        return self.manager_id is None

    def sql(self, column: str, params: dict[str, Any]) -> str:
        """An ` AND column IN (…)` condition for hand-written SQL (empty when all are visible).

        `column` holds a project id; the condition's parameter is added to `params`.
        """
        if self.manager_id is None:
            return ""
        params["scope_user"] = self.manager_id
        return f" AND {column} IN ({_MANAGED_SQL})"

    def lookups(self) -> dict[str, Any]:
        """The visible projects as Project lookups, to merge into a filter (empty: all)."""
        if self.manager_id is None:
            return {}
        return {"site_managers__id": self.manager_id}

    def projects(self) -> QuerySet[Project]:
        """The visible projects, as a queryset to filter further."""
        return Project.filter(**self.lookups())

    def filter(
        self, queryset: QuerySet[ModelT], project_field: str = "project_id"
    ) -> QuerySet[ModelT]:
        """`queryset` limited to rows whose `project_field` is a visible project."""
        if self.manager_id is None:
            return queryset
        visible = self.projects().values("id")
        return queryset.filter(**{f"{project_field}__in": Subquery(visible)})


EVERY_PROJECT = ProjectScope(None)


def project_scope(user: User) -> ProjectScope:
    """The projects `user` may see."""
    return EVERY_PROJECT if sees_every_project(user) else ProjectScope(user.id)


def visible_projects(user: User) -> QuerySet[Project]:
    """The projects `user` may see, as a queryset to filter further."""
    return project_scope(user).projects()


def visible_tickets(user: User) -> QuerySet[ShortageTicket]:
    """The shortage tickets `user` may see, as a queryset to filter further."""
    if user.role == Role.COORDINATOR:
        return ShortageTicket.filter(assignee_id=user.id)
    return project_scope(user).filter(ShortageTicket.all())


async def managed_project_ids(user_id: int) -> dict[int, None]:
    """The ids of the projects `user_id` manages, in project-code order (a dict, for `in`)."""
    rows = await fetch(
        "SELECT s.project_id AS project_id FROM project_site_manager s"
        " JOIN project p ON p.id = s.project_id WHERE s.user_id = :uid ORDER BY p.code",
        {"uid": user_id},
    )
    return {row["project_id"]: None for row in rows}


# --- one request's checks -----------------------------------------------------------------


class Access:
    """One request's access checks for `user` (None: anonymous), cached for the request.

    The first check that needs the viewer's managed projects reads them in one statement;
    every later check in the request answers from memory.
    """

    def __init__(self, user: User | None) -> None:
        self.user = user
        self._managed: asyncio.Future[dict[int, None]] | None = None

    async def managed(self) -> dict[int, None]:
        """The ids of the projects the viewer manages, in code order (empty for anonymous)."""
        if self.user is None:
            return {}
        if self._managed is None:  # concurrent resolvers share the one statement
            self._managed = asyncio.ensure_future(managed_project_ids(self.user.id))
        return await asyncio.shield(self._managed)

    async def manages(self, project_id: int) -> bool:
        """True when the viewer is a site manager of the project."""
        if self.user is None or self.user.role != Role.SITE_MANAGER:
            return False
        return project_id in await self.managed()

    async def can_see_project(self, project_id: int) -> bool:
        """True when the viewer may see the project (it need not exist)."""
        if self.user is None:
            return False
        if sees_every_project(self.user):
            return True
        return project_id in await self.managed()

    async def can_see_ticket(self, ticket: ShortageTicket | TicketRow) -> bool:
        """True when the viewer may see the ticket."""
        if self.user is not None and self.user.role == Role.COORDINATOR:
            return ticket.assignee_id == self.user.id
        return await self.can_see_project(ticket.project_id)

    async def can_read_originals(self, project_id: int) -> bool:
        """True when the viewer may read full-resolution photo originals of the project."""
        if self.user is None:
            return False
        return self.user.role in ORIGINAL_READERS or await self.manages(project_id)

    async def project(self, project_id: int | None, field: FieldPath) -> Project:
        """The project if it exists and the viewer may see it; Refused NOT_FOUND at `field`.

        A hidden project is answered exactly like a missing one, so ids reveal nothing.
        """
        project = None
        if project_id is not None and await self.can_see_project(project_id):
            project = await Project.get_or_none(pk=project_id)
        if project is None:
            raise Refused("NOT_FOUND", "No such project.", field)
        return project

    async def milestone(self, milestone_id: int | None, field: FieldPath) -> Milestone:
        """The milestone if it exists and the viewer may see its project; else NOT_FOUND."""
        milestone = None
        if milestone_id is not None:
            milestone = await Milestone.get_or_none(pk=milestone_id)
        if milestone is None or not await self.can_see_project(milestone.project_id):
            raise Refused("NOT_FOUND", "No such milestone.", field)
        return milestone


def access_of(actor: User | Access) -> Access:
    """The checks to act under: the request's own `Access`, or fresh ones for a bare user."""
    return actor if isinstance(actor, Access) else Access(actor)


def acting_user(access: Access) -> User:
    """The signed-in user behind `access`; Refused UNAUTHENTICATED for an anonymous one."""
    if access.user is None:
        raise Refused("UNAUTHENTICATED", "Sign in first: send Authorization: Bearer <token>.")
    return access.user
