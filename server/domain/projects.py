"""The project register: creating and changing projects and their site managers.

Values come keyed by column name (`PROJECT_FIELDS`), with the location as a `Location`;
ids are plain integers, None for one the client sent malformed. Every change is checked
field by field first, refused as a whole, and recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.domain import audit, journal
from server.domain.access import Access
from server.domain.errors import Problems
from server.domain.models import Programme, Project, Role, User
from server.domain.validation import (
    camel,
    check_item_count,
    check_money,
    check_text_lengths,
    conflict_on_duplicate,
    fits,
)

PROJECT_FIELDS = (
    "code",
    "name",
    "responsible_unit",
    "lead_official",
    "town",
    "location",
    "site_radius_meters",
    "total_investment",
    "status",
    "planned_start",
    "planned_finish",
)
"""The fields of a project a planner sets (`location` stands for latitude and longitude)."""

_REQUIRED_TEXTS = ("code", "name", "responsible_unit")
_DUPLICATE_CODE = "Another project has this code."


@dataclass(frozen=True)
class Location:
    """A WGS 84 position of a site."""

    latitude: float
    longitude: float


async def _programmes(ids: Sequence[int | None], problems: Problems) -> list[Programme]:
    """The programmes of `ids`; NOT_FOUND or INVALID (listed twice) problems by position."""
    if not check_item_count(ids, problems, "input", "programmeIds"):
        return []
    found = []
    seen: set[int] = set()
    for index, pk in enumerate(ids):
        programme = await Programme.get_or_none(pk=pk) if pk is not None else None
        if programme is None:
            problems.add("NOT_FOUND", "No such programme.", "input", "programmeIds", str(index))
        elif programme.id in seen:
            problems.add("INVALID", "Programme listed twice.", "input", "programmeIds", str(index))
        else:
            seen.add(programme.id)
            found.append(programme)
    return found


async def _site_managers(ids: Sequence[int | None], problems: Problems, name: str) -> list[User]:
    """The users of `ids`, each once; problems at `name` for unknown users and other roles."""
    if not check_item_count(ids, problems, "input", name):
        return []
    found = []
    seen: set[int] = set()
    for index, pk in enumerate(ids):
        user = await User.get_or_none(pk=pk) if pk is not None else None
        if user is None:
            problems.add("NOT_FOUND", "No such user.", "input", name, str(index))
        elif user.role != Role.SITE_MANAGER:
            problems.add("INVALID", "Only site managers can run a site.", "input", name, str(index))
        elif user.id not in seen:
            seen.add(user.id)
            found.append(user)
    return found


def _check_fields(values: Mapping[str, Any], problems: Problems) -> None:
    """Field-by-field checks of project values (on update, merged with the stored dates)."""
    for key in _REQUIRED_TEXTS:
        if key in values and not (values[key] or "").strip():
            problems.add("INVALID", "Must not be empty.", "input", camel(key))
    check_text_lengths(Project, values, problems, "input")
    check_money(values.get("total_investment"), problems, "input", "totalInvestment")
    if (values.get("site_radius_meters") or 0) < 0:
        problems.add("INVALID", "Must not be negative.", "input", "siteRadiusMeters")
    location = values.get("location")
    if location is not None:
        if not -90 <= location.latitude <= 90:
            problems.add("INVALID", "Latitude is -90 to 90.", "input", "location", "latitude")
        if not -180 <= location.longitude <= 180:
            problems.add("INVALID", "Longitude is -180 to 180.", "input", "location", "longitude")
    start, finish = values.get("planned_start"), values.get("planned_finish")
    if start is not None and finish is not None and finish < start:
        problems.add("INVALID", "The finish is before the start.", "input", "plannedFinish")


async def _check_code_free(code: str | None, problems: Problems, project_id: int | None) -> None:
    """A CONFLICT problem when another project than `project_id` has this code."""
    code = (code or "").strip()
    if not code or not fits(Project, "code", code):
        return
    others = Project.filter(code=code)
    if project_id is not None:
        others = others.exclude(id=project_id)
    if await others.exists():
        problems.add("CONFLICT", _DUPLICATE_CODE, "input", "code")


def _apply(project: Project, values: Mapping[str, Any]) -> None:
    """Set the given PROJECT_FIELDS of `values` on `project`, required texts trimmed."""
    for key in PROJECT_FIELDS:
        if key not in values or key == "location":
            continue
        value = values[key]
        if isinstance(value, str) and key in _REQUIRED_TEXTS:
            value = value.strip()
        setattr(project, key, value)
    if "location" in values:
        location = values["location"]
        project.latitude = location.latitude if location is not None else None
        project.longitude = location.longitude if location is not None else None


async def _snapshot(project: Project) -> dict[str, Any]:
    """The project's columns with its programme and site manager ids, for the audit log."""
    data = audit.snapshot(project) or {}
    data["programmes"] = sorted(await project.programmes.all().values_list("id", flat=True))
    data["site_managers"] = sorted(await project.site_managers.all().values_list("id", flat=True))
    return data


async def create_project(
    actor: User | None,
    values: Mapping[str, Any],
    programme_ids: Sequence[int | None] = (),
    site_manager_ids: Sequence[int | None] = (),
) -> Project:
    """Create a project from `values` (PROJECT_FIELDS; code, name and responsible unit
    required, a None status means the default), in programmes, with site managers."""
    problems = Problems()
    values = {k: v for k, v in values.items() if k != "status" or v is not None}
    _check_fields(values, problems)
    programmes = await _programmes(programme_ids, problems)
    managers = await _site_managers(site_manager_ids, problems, "siteManagerIds")
    await _check_code_free(values.get("code"), problems, None)
    problems.raise_if_any()
    project = Project()
    _apply(project, values)
    async with conflict_on_duplicate(("input", "code"), _DUPLICATE_CODE):
        await project.save()
    if programmes:
        await project.programmes.add(*programmes)
    if managers:
        await project.site_managers.add(*managers)
    await audit.record(actor, "project.create", project, after=await _snapshot(project))
    return project


async def update_project(
    access: Access,
    project_id: int | None,
    changes: Mapping[str, Any],
    programme_ids: Sequence[int | None] | None = None,
) -> Project:
    """Change the PROJECT_FIELDS given in `changes` of a visible project; `programme_ids`,
    when given, replaces its programmes. Code, name, responsible unit and status may not be
    cleared."""
    project = await access.project(project_id, ("input", "projectId"))
    before = await _snapshot(project)
    problems = Problems()
    for key in _REQUIRED_TEXTS:
        if key in changes and changes[key] is None:
            problems.add("INVALID", "Must not be empty.", "input", camel(key))
    if changes.get("status", "") is None:
        problems.add("INVALID", "A project always has a status.", "input", "status")
    merged: dict[str, Any] = {
        "planned_start": project.planned_start,
        "planned_finish": project.planned_finish,
    }
    merged.update({k: v for k, v in changes.items() if v is not None or k in merged})
    _check_fields(merged, problems)
    programmes = None if programme_ids is None else await _programmes(programme_ids, problems)
    await _check_code_free(changes.get("code"), problems, project.id)
    problems.raise_if_any()
    _apply(project, changes)
    async with conflict_on_duplicate(("input", "code"), _DUPLICATE_CODE):
        await project.save()
    if programmes is not None:
        await project.programmes.clear()
        if programmes:
            await project.programmes.add(*programmes)
    after = await _snapshot(project)
    await audit.record(access.user, "project.update", project, before=before, after=after)
    return project


async def set_site_managers(
    access: Access, project_id: int | None, user_ids: Sequence[int | None]
) -> Project:
    """Replace the site managers of a visible project (each must have the SITE_MANAGER role)."""
    project = await access.project(project_id, ("input", "projectId"))
    before = await _snapshot(project)
    problems = Problems()
    managers = await _site_managers(user_ids, problems, "userIds")
    problems.raise_if_any()
    previous = await project.site_managers.all().values_list("id", flat=True)
    await project.site_managers.clear()
    if managers:
        await project.site_managers.add(*managers)
    await journal.note_sight_changed(
        "Project", project.id, project.id, [*previous, *(m.id for m in managers)]
    )
    after = await _snapshot(project)
    await audit.record(access.user, "project.site_managers", project, before=before, after=after)
    return project
