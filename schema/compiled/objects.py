"""Selections of the plan types written as one PostgreSQL JSON expression per object.

Each covered type maps its fields to SQL over a row alias: columns, global IDs, the same
date rules as the domain (`days_overdue`), the health rule of `server.domain.health`, and the
nested lists and pages (phases, milestones, programmes, site managers) as correlated
subqueries that build their JSON in the database, as PostGraphile does. A field, argument or
type not covered raises `NotCompiled`, and the resolvers answer the whole list instead.
Nested rows belong to an object the viewer already sees (a project's phases, milestones,
programmes and site managers; a milestone's project and phase), as in the resolvers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution import get_argument_values

from schema.compiled.selection import Asked, Request, collect
from schema.errors import ApiError
from schema.relay import cursor_offset, offset_cursor, page_size
from server.domain.health import Cutoffs, health_sql
from server.domain.models import MilestoneStatus

MAX_KEYS = 50
"""Most keys of one JSON object: json_build_object takes at most 100 arguments."""


class NotCompiled(Exception):
    """A selection the compiler does not cover: the resolvers answer it."""


class Compiler:
    """Builds the JSON expression of a selection and collects its parameters."""

    def __init__(self, schema: GraphQLSchema, request: Request, cutoffs: Cutoffs) -> None:
        self.schema = schema
        self.request = request
        self.params: dict[str, Any] = cutoffs.params()
        self.forecasts = False
        """True once a field reads `forecast` (FORECAST_SQL must then lead the statement)."""
        self._aliases = itertools.count(1)

    def alias(self) -> str:
        """A table alias not used elsewhere in the statement."""
        return f"c{next(self._aliases)}"

    def object_json(
        self,
        object_type: GraphQLObjectType,
        row: str,
        selection_sets: list[SelectionSetNode | None],
    ) -> str:
        """`json_build_object(...)` of what the selection asks of the `object_type` row `row`."""
        fields = FIELDS.get(object_type.name)
        if fields is None:
            raise NotCompiled(object_type.name)
        asked = collect(object_type, selection_sets, self.request)
        if not asked or len(asked) > MAX_KEYS:
            raise NotCompiled(object_type.name)
        parts = []
        for item in asked:
            if item.name == "__typename":
                value = f"'{object_type.name}'"
            else:
                build = fields.get(item.name)
                if build is None:
                    raise NotCompiled(f"{object_type.name}.{item.name}")
                value = build(self, row, item, object_type.fields[item.name])
            parts.append(f"'{item.key}', {value}")
        return f"json_build_object({', '.join(parts)})"

    def target(self, field: GraphQLField) -> GraphQLObjectType:
        """The object type a field holds (through lists and non-nulls)."""
        named = get_named_type(field.type)
        if not isinstance(named, GraphQLObjectType):
            raise NotCompiled(str(named))
        return named

    def arguments(self, item: Asked, field: GraphQLField) -> dict[str, Any]:
        """The field's argument values, coerced with the request's variables."""
        return get_argument_values(field, item.nodes[0], dict(self.request.variables))


Build = Callable[[Compiler, str, Asked, GraphQLField], str]


def column(name: str, cast: str = "") -> Build:
    """A column of the row, optionally cast (decimals go out as exact text)."""
    return lambda compiler, row, item, field: f'{row}."{name}"{cast}'


def sql(template: str) -> Build:
    """An expression over the row (`{row}` names it)."""
    return lambda compiler, row, item, field: template.format(row=row)


def global_id(type_name: str) -> Build:
    """The Relay global ID: base64 of "Type:id", as graphql-relay writes it."""
    return sql(f"encode(convert_to('{type_name}:' || {{row}}.id, 'UTF8'), 'base64')")


def one(table: str, condition: str) -> Build:
    """A nested object: the row of `table` matching `condition` (`{row}` the parent, `{it}`
    the nested row), or null."""

    def build(compiler: Compiler, row: str, item: Asked, field: GraphQLField) -> str:
        it = compiler.alias()
        value = compiler.object_json(compiler.target(field), it, item.selection_sets())
        where = condition.format(row=row, it=it)
        return f'(SELECT {value} FROM "{table}" {it} WHERE {where})'

    return build


def many(table: str, join: str, condition: str, order: str) -> Build:
    """A nested list: the rows of `table` (with `join`) matching `condition`, in `order`."""

    def build(compiler: Compiler, row: str, item: Asked, field: GraphQLField) -> str:
        it = compiler.alias()
        value = compiler.object_json(compiler.target(field), it, item.selection_sets())
        names = {"row": row, "it": it}
        return (
            f"coalesce((SELECT json_agg({value} ORDER BY {order.format(**names)})"
            f' FROM "{table}" {it} {join.format(**names)} WHERE {condition.format(**names)}),'
            " '[]'::json)"
        )

    return build


Part = Callable[[Asked], str]


def _composed(
    compiler: Compiler, object_type: GraphQLObjectType, item: Asked, parts: dict[str, Part | str]
) -> str:
    """`json_build_object(...)` of the fields `item` asks of `object_type`, each written by its
    part (SQL, or a function of the asked field giving SQL); `__typename` is the type's name."""
    written = []
    for asked in collect(object_type, item.selection_sets(), compiler.request):
        if asked.name == "__typename":
            value = f"'{object_type.name}'"
        elif asked.name in parts:
            part = parts[asked.name]
            value = part if isinstance(part, str) else part(asked)
        else:
            raise NotCompiled(f"{object_type.name}.{asked.name}")
        written.append(f"'{asked.key}', {value}")
    if not written:
        raise NotCompiled(object_type.name)
    return f"json_build_object({', '.join(written)})"


def _cursor(offset_sql: str) -> str:
    """An offset cursor (`schema.relay.offset_cursor`) computed by the database."""
    return f"encode(convert_to('offset:' || ({offset_sql}), 'UTF8'), 'base64')"


def milestone_page(compiler: Compiler, row: str, item: Asked, field: GraphQLField) -> str:
    """`Project.milestones(first, after)` without a filter: a page by planned date.

    The page's rows are aggregated into one object (`HAVING true` keeps the query one group,
    and one row, when no aggregate is asked for, as with `totalCount` alone)."""
    if any(argument.name.value == "filter" for node in item.nodes for argument in node.arguments):
        raise NotCompiled("milestones(filter)")
    arguments = compiler.arguments(item, field)
    try:
        limit = page_size(arguments.get("first"))
        start = cursor_offset(arguments.get("after"))
    except ApiError:
        raise NotCompiled("milestones arguments") from None
    connection = compiler.target(field)
    page, every, later = compiler.alias(), compiler.alias(), compiler.alias()
    value = _composed(
        compiler,
        connection,
        item,
        {
            "totalCount": (
                f"(SELECT count(*) FROM milestone {every} WHERE {every}.project_id = {row}.id)"
            ),
            "edges": lambda asked: _edges(compiler, connection.fields["edges"], asked, page),
            "pageInfo": lambda asked: _page_info(
                compiler, connection.fields["pageInfo"], asked, row, later, start, limit
            ),
        },
    )
    return (
        f"(SELECT {value} FROM (SELECT {page}.*,"
        f" row_number() OVER (ORDER BY {page}.planned_date, {page}.id) AS position"
        f" FROM milestone {page} WHERE {page}.project_id = {row}.id"
        f" ORDER BY {page}.planned_date, {page}.id"
        f" LIMIT {int(limit)} OFFSET {int(start)}) {page} HAVING true)"
    )


def _edges(compiler: Compiler, field: GraphQLField, item: Asked, page: str) -> str:
    edge = compiler.target(field)
    node_type = compiler.target(edge.fields["node"])
    objects = _composed(
        compiler,
        edge,
        item,
        {
            "cursor": _cursor(f"{page}.position - 1"),
            "node": lambda asked: compiler.object_json(node_type, page, asked.selection_sets()),
        },
    )
    return f"coalesce(json_agg({objects} ORDER BY {page}.position), '[]'::json)"


def _page_info(
    compiler: Compiler,
    field: GraphQLField,
    item: Asked,
    row: str,
    later: str,
    start: int,
    limit: int,
) -> str:
    after_page = int(start) + int(limit)
    values: dict[str, Part | str] = {
        "hasNextPage": (
            f"EXISTS (SELECT 1 FROM milestone {later} WHERE {later}.project_id = {row}.id"
            f" ORDER BY {later}.planned_date, {later}.id OFFSET {after_page} LIMIT 1)"
        ),
        "hasPreviousPage": "true" if start > 0 else "false",
        "startCursor": f"CASE WHEN count(*) > 0 THEN '{offset_cursor(start)}' END",
        "endCursor": f"CASE WHEN count(*) > 0 THEN {_cursor(f'{int(start)} + count(*) - 1')} END",
    }
    return _composed(compiler, compiler.target(field), item, values)


def _location(compiler: Compiler, row: str, item: Asked, field: GraphQLField) -> str:
    point = _composed(
        compiler,
        compiler.target(field),
        item,
        {
            "latitude": lambda asked: f"{row}.latitude",
            "longitude": lambda asked: f"{row}.longitude",
        },
    )
    return f"CASE WHEN {row}.latitude IS NULL OR {row}.longitude IS NULL THEN NULL ELSE {point} END"


def _health(compiler: Compiler, row: str, item: Asked, field: GraphQLField) -> str:
    return f"({health_sql(row)})"


PENDING = f"'{MilestoneStatus.PENDING.value}'"
DONE = f"({{it}}.status = '{MilestoneStatus.DONE.value}' AND {{it}}.actual_date IS NOT NULL)"

FORECAST_SQL = f"""WITH RECURSIVE scope AS (
  SELECT s.id, s.project_id, s.planned_date, s.actual_date, {DONE.format(it="s")} AS done
  FROM milestone s WHERE s.project_id IN ({{projects}})
), chain(id, project_id, value, depth) AS (
  SELECT s.id, s.project_id,
    CASE WHEN s.done THEN s.actual_date ELSE greatest(s.planned_date, CAST(:today AS date)) END, 0
  FROM scope s
  UNION ALL
  SELECT n.id, n.project_id, c.value + l.lag_days, c.depth + 1
  FROM chain c JOIN milestone_dependency l ON l.predecessor_id = c.id
  JOIN scope n ON n.id = l.successor_id AND n.project_id = c.project_id
  WHERE NOT n.done AND c.depth < {{max_depth}}
), pushed AS (
  SELECT c.id, max(c.value) AS day FROM chain c WHERE c.depth > 0 GROUP BY c.id
), forecast AS (
  SELECT jsonb_object_agg(s.id::text, CASE WHEN s.done THEN s.actual_date
    ELSE greatest(s.planned_date, p.day) END) AS days
  FROM scope s LEFT JOIN pushed p ON p.id = s.id
) """
"""Each milestone's forecast (`server.domain.schedule.forecast_dates`) for the milestones of
`{projects}`, as one JSON map from milestone id to date that `forecast_of` reads: a done
milestone's actual date; an open one's planned date pushed by every chain of predecessors,
each starting at a done milestone's actual date or an open one's later of planned date and
today, plus the lags. Links across projects are ignored, as the schedules do; chains stop at
`{max_depth}` links (cycles are refused when links are made). A map, because PostgreSQL
cannot index a CTE: looking a milestone up in it is a binary search, not a scan."""


def forecast_of(milestone: str) -> str:
    """The forecast date of the milestone row `milestone` (FORECAST_SQL must lead)."""
    return f"((SELECT days FROM forecast) ->> {milestone}.id::text)::date"


MAX_CHAIN = 200


def _forecast_date(compiler: Compiler, row: str, item: Asked, field: GraphQLField) -> str:
    compiler.forecasts = True
    return forecast_of(row)


def _forecast_finish(compiler: Compiler, row: str, item: Asked, field: GraphQLField) -> str:
    compiler.forecasts = True
    it = compiler.alias()
    return (
        f"(SELECT max(d) FROM (SELECT {forecast_of(it)} AS d FROM milestone {it}"
        f" WHERE {it}.project_id = {row}.id UNION ALL SELECT {row}.planned_finish) AS dates)"
    )


def _next_milestone(compiler: Compiler, row: str, item: Asked, field: GraphQLField) -> str:
    """The open milestone with the earliest forecast (ties: planned date, then id)."""
    compiler.forecasts = True
    it = compiler.alias()
    value = compiler.object_json(compiler.target(field), it, item.selection_sets())
    return (
        f"(SELECT {value} FROM milestone {it}"
        f" WHERE {it}.project_id = {row}.id AND {it}.status = {PENDING}"
        f" ORDER BY {forecast_of(it)}, {it}.planned_date, {it}.id LIMIT 1)"
    )


PAGE_ROW = "x"
"""The alias of the page's own node rows in the statement `schema.compiled` runs."""
AS_OF = "as_of"
"""The parameter holding the date the page's own milestones are judged against (bound per
page by `schema.compiled.compiled_edges`: its list's date, `schema.schedule.as_of`)."""


def judging_day(compiler: Compiler, row: str) -> str:
    """The date the milestone row `row` is judged overdue against: the page's date for the
    page's own nodes, today for milestones nested in them (as `schema.schedule.as_of`)."""
    if row != PAGE_ROW:
        return "CAST(:today AS date)"
    compiler.params.setdefault(AS_OF, compiler.params["today"])
    return f"CAST(:{AS_OF} AS date)"


def _is_overdue(compiler: Compiler, row: str, item: Asked, field: GraphQLField) -> str:
    return f"({row}.status = {PENDING} AND {row}.planned_date < {judging_day(compiler, row)})"


def _days_overdue(compiler: Compiler, row: str, item: Asked, field: GraphQLField) -> str:
    day = judging_day(compiler, row)
    late = f"{row}.status = {PENDING} AND {row}.planned_date < {day}"
    return f"CASE WHEN {late} THEN {day} - {row}.planned_date ELSE 0 END"


FIELDS: dict[str, dict[str, Build]] = {
    "Project": {
        "id": global_id("Project"),
        "code": column("code"),
        "name": column("name"),
        "responsibleUnit": column("responsible_unit"),
        "leadOfficial": column("lead_official"),
        "town": column("town"),
        "location": _location,
        "siteRadiusMeters": column("site_radius_meters"),
        "totalInvestment": column("total_investment", "::text"),
        "status": column("status"),
        "health": _health,
        "plannedStart": column("planned_start"),
        "plannedFinish": column("planned_finish"),
        "forecastFinish": _forecast_finish,
        "nextMilestone": _next_milestone,
        "openTicketCount": sql(
            "(SELECT count(*) FROM shortage_ticket t WHERE t.project_id = {row}.id"
            " AND t.status IN (:open_statuses))"
        ),
        "roadmap": many("phase", "", "{it}.project_id = {row}.id", "{it}.sequence, {it}.id"),
        "milestones": milestone_page,
        "programmes": many(
            "programme",
            "JOIN project_programme l{it} ON l{it}.programme_id = {it}.id",
            "l{it}.project_id = {row}.id",
            "{it}.year DESC, {it}.code",
        ),
        "siteManagers": many(
            "user",
            "JOIN project_site_manager l{it} ON l{it}.user_id = {it}.id",
            "l{it}.project_id = {row}.id",
            "{it}.username",
        ),
    },
    "Milestone": {
        "id": global_id("Milestone"),
        "project": one("project", "{it}.id = {row}.project_id"),
        "phase": one("phase", "{it}.id = {row}.phase_id"),
        "title": column("title"),
        "baselineDate": column("baseline_date"),
        "plannedDate": column("planned_date"),
        "actualDate": column("actual_date"),
        "forecastDate": _forecast_date,
        "status": column("status"),
        "isOverdue": _is_overdue,
        "daysOverdue": _days_overdue,
        "slipDays": sql("({row}.planned_date - {row}.baseline_date)"),
        "completionNote": column("completion_note"),
        "dependsOn": many(
            "milestone",
            "",
            "{it}.project_id = {row}.project_id AND {it}.id IN (SELECT l.predecessor_id"
            " FROM milestone_dependency l WHERE l.successor_id = {row}.id)",
            "{it}.planned_date, {it}.id",
        ),
    },
    "Phase": {
        "id": global_id("Phase"),
        "project": one("project", "{it}.id = {row}.project_id"),
        "name": column("name"),
        "sequence": column("sequence"),
        "plannedStart": column("planned_start"),
        "plannedFinish": column("planned_finish"),
        "milestones": many(
            "milestone",
            "",
            "{it}.phase_id = {row}.id AND {it}.project_id = {row}.project_id",
            "{it}.planned_date, {it}.id",
        ),
    },
    "Programme": {
        "id": global_id("Programme"),
        "code": column("code"),
        "name": column("name"),
        "year": column("year"),
    },
    "User": {
        "id": global_id("User"),
        "username": column("username"),
        "displayName": column("display_name"),
        "role": column("role"),
        "unit": column("unit"),
    },
}
"""The covered types and, per field, how it is written in SQL."""
