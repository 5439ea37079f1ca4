"""The documents of the peer rows: wallchart's and PostGraphile's asking for the same rows.

Wallchart answers as a signed-in user; PostGraphile runs without auth, so its documents select
the same user's or the same projects' rows by ids and conditions. `rows` reduces either answer
to a comparable set: one (kind, id, scalar fields) triple per object, with Relay global IDs
decoded to the integer keys PostGraphile shows.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench import queries

# The kind of object each list or object field holds, by field name, in either schema.
KINDS = {
    "me": "user",
    "user": "user",
    "projects": "project",
    "project": "project",
    "milestones": "milestone",
    "overdueMilestones": "milestone",
    "roadmap": "phase",
    "phases": "phase",
}
# Wrappers of connections that carry no row of their own.
TRANSPARENT = {"edges", "node", "nodes", "data"}

HOME_DATA = """
query HomeData($first: Int!) {
  me {
    id
    projects(first: $first) {
      edges {
        node {
          id code name status
          milestones(first: 10) {
            edges { node { id title plannedDate actualDate status } }
          }
        }
      }
    }
  }
}
"""

PEER_HOME_DATA = """
query HomeData($user: Int!, $first: Int!) {
  user(id: $user) { id }
  projects(
    first: $first
    orderBy: [CODE_ASC]
    filter: { projectSiteManagers: { some: { userId: { equalTo: $user } } } }
  ) {
    nodes {
      id code name status
      milestones(first: 10, orderBy: [PLANNED_DATE_ASC, ID_ASC]) {
        nodes { id title plannedDate actualDate status }
      }
    }
  }
}
"""

OVERDUE = """
query Overdue($first: Int!) {
  overdueMilestones(first: $first) {
    edges {
      node {
        id title plannedDate
        project { id code name town responsibleUnit }
      }
    }
  }
}
"""

PEER_OVERDUE = """
query Overdue($first: Int!, $today: Date!) {
  milestones(
    first: $first
    orderBy: [PLANNED_DATE_ASC, PROJECT_ID_ASC, ID_ASC]
    condition: { status: "PENDING" }
    filter: { plannedDate: { lessThan: $today } }
  ) {
    nodes {
      id title plannedDate
      project { id code name town responsibleUnit }
    }
  }
}
"""

ME = "query Me { me { id } }"

PEER_ME = "query Me($user: Int!) { user(id: $user) { id } }"

# Without actualDate, which would take the document past wallchart's 50 000-field cost limit.
OFFICE = """
query Office($first: Int!) {
  projects(first: $first, orderBy: CODE) {
    edges {
      node {
        id code name status
        roadmap { id name sequence plannedStart plannedFinish }
        milestones(first: 50) {
          edges { node { id title plannedDate status } }
        }
      }
    }
  }
}
"""

PEER_OFFICE = """
query Office($first: Int!) {
  projects(first: $first, orderBy: [CODE_ASC]) {
    nodes {
      id code name status
      phases(orderBy: [SEQUENCE_ASC, ID_ASC]) {
        nodes { id name sequence plannedStart plannedFinish }
      }
      milestones(first: 50, orderBy: [PLANNED_DATE_ASC, ID_ASC]) {
        nodes { id title plannedDate status }
      }
    }
  }
}
"""


@dataclass(frozen=True)
class Pair:
    """One peer row's two requests: wallchart's document and PostGraphile's."""

    key: str
    label: str
    user: str
    document: str
    variables: dict[str, Any]
    peer_document: str | None
    peer_variables: dict[str, Any]
    same_fields: bool = True
    """False where wallchart asks for more fields than the peer: rows then compare by id."""


def pairs(site_user: int, today: dt.date) -> list[Pair]:
    """The peer rows in table order; `site_user` is the busy site manager's id."""
    return [
        Pair(
            "home_data",
            "home data: 20 projects × 10 milestones",
            "site",
            HOME_DATA,
            {"first": 20},
            PEER_HOME_DATA,
            {"user": site_user, "first": 20},
        ),
        Pair(
            "home_full",
            "full home screen vs peer home data",
            "site",
            queries.HOME,
            {"first": 20},
            PEER_HOME_DATA,
            {"user": site_user, "first": 20},
            same_fields=False,
        ),
        Pair(
            "overdue",
            "first 50 overdue milestones + projects",
            "supervisor",
            OVERDUE,
            {"first": 50},
            PEER_OVERDUE,
            {"first": 50, "today": today.isoformat()},
        ),
        Pair(
            "office",
            "office report: 100 projects, phases, 50 milestones",
            "office",
            OFFICE,
            {"first": 100},
            PEER_OFFICE,
            {"first": 100},
        ),
        Pair("me", "me { id } vs user(id) { id }", "site", ME, {}, PEER_ME, {"user": site_user}),
    ]


def decode_id(value: Any) -> Any:
    """An integer key from a Relay global ID ("Type:123" in base64) or an integer id."""
    if isinstance(value, int) or not isinstance(value, str):
        return value
    try:
        text = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return value
    kind, _, key = text.partition(":")
    return int(key) if kind and key.isdigit() else value


def _objects(value: Any, kind: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(value, list):
        for item in value:
            yield from _objects(item, kind)
        return
    if not isinstance(value, dict):
        return
    if kind is not None and "id" in value:
        yield kind, value
    for field, child in value.items():
        if field in TRANSPARENT:
            yield from _objects(child, kind)
        elif field in KINDS:
            yield from _objects(child, KINDS[field])


def objects(answer: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every row object of a GraphQL answer with its kind (wrappers skipped), in order."""
    data = answer.get("data") if isinstance(answer, dict) else None
    return list(_objects(data, None))


def rows(answer: Any, values: bool = True) -> set[tuple[str, Any, tuple[tuple[str, Any], ...]]]:
    """The answer's rows as a set: (kind, integer id, sorted scalar fields other than id).

    Without `values`, the fields are left out: (kind, id, ()).
    """
    found = set()
    for kind, obj in objects(answer):
        scalars = tuple(
            sorted(
                (field, value)
                for field, value in obj.items()
                if values and field != "id" and not isinstance(value, dict | list)
            )
        )
        found.add((kind, decode_id(obj["id"]), scalars))
    return found


def same_rows(ours: Any, theirs: Any, values: bool = True) -> bool:
    """Whether two answers hold the same rows (as sets; wrappers and ID encodings aside).

    Without `values`, only which rows (kind and id) are compared, not their fields.
    """
    mine = rows(ours, values)
    return bool(mine) and mine == rows(theirs, values)


def difference(ours: Any, theirs: Any, values: bool = True, limit: int = 3) -> str:
    """A short description of the rows only one answer holds (for the results file)."""
    mine, other = rows(ours, values), rows(theirs, values)
    only_ours = sorted(map(repr, mine - other))[:limit]
    only_theirs = sorted(map(repr, other - mine))[:limit]
    return (
        f"{len(mine)} vs {len(other)} rows; only wallchart: {only_ours}; only peer: {only_theirs}"
    )
