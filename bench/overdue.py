"""Query plans of the overdue board on PostgreSQL: `python -m bench.overdue [postgres-url]`.

Creates a scratch database next to the given one (default: the test server), fills it with
10 000 projects in 8 programmes and 200 000 milestones, then prints EXPLAIN ANALYZE of the
overdue list (first page, a deep keyset page, a selective filter), its count and the
summaries, and the time of each call through `server.domain.overdue`. The database is dropped at
the end.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from typing import Any

import asyncpg
from tortoise import Tortoise, connections

from server.db import tortoise_config
from server.domain.models import Role, User
from server.domain.overdue import (
    OverdueCursor,
    OverdueFilter,
    OverdueGroupBy,
    count_sql,
    overdue_count,
    overdue_page,
    overdue_summary,
    page_sql,
)
from server.domain.rawsql import bind
from server.settings import Settings

SCRATCH = "wallchart_bench_overdue"
AS_OF = dt.date(2020, 9, 1)
FILL = """
INSERT INTO programme (code, name, year)
  SELECT c, 'P' || c, y FROM unnest(ARRAY['1090', '1050', '1080', '765']) c,
  generate_series(2020, 2021) y;
INSERT INTO project (code, name, responsible_unit, town, status, created_at, updated_at)
  SELECT 'P' || i, '项目' || i, 'unit' || (i % 40), 'town' || (i % 12), 'UNDER_CONSTRUCTION',
  now(), now() FROM generate_series(1, 10000) i;
INSERT INTO project_programme (project_id, programme_id) SELECT id, 1 + (id % 8) FROM project;
INSERT INTO milestone (project_id, title, baseline_date, planned_date, status, created_at)
  SELECT 1 + (i % 10000), 'm' || i, d, d,
  CASE WHEN d < date '2020-06-01' AND i % 3 <> 0 THEN 'DONE' ELSE 'PENDING' END, now()
  FROM (SELECT i, date '2020-01-01' + (i * 7919 % 730) AS d
        FROM generate_series(1, 200000) i) s;
ANALYZE;
"""


async def explain(title: str, statement: tuple[str, dict[str, Any]]) -> None:
    """Print EXPLAIN ANALYZE of one of the overdue module's statements."""
    sql, params = statement
    connection = connections.get("default")
    query, values = bind(sql, params, connection.capabilities.dialect)
    rows = await connection.execute_query_dict("EXPLAIN (ANALYZE, COSTS OFF) " + query, values)
    print(f"=== {title}")
    print("\n".join(row["QUERY PLAN"] for row in rows))


async def timed(title: str, call: Any) -> None:
    """Print the wall time of one awaited call."""
    start = time.perf_counter()
    await call
    print(f"{title}: {(time.perf_counter() - start) * 1000:.1f} ms")


async def run(server_url: str) -> None:
    """Fill the scratch database, print the plans and timings, drop it."""
    base = server_url.replace("postgres://", "postgresql://")
    admin = await asyncpg.connect(base)
    await admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{SCRATCH}"')
    url = f"{server_url.rpartition('/')[0]}/{SCRATCH}"
    try:
        settings = Settings.from_env({}, database_url=url, secret_key="bench")
        await Tortoise.init(config=tortoise_config(settings))
        await Tortoise.generate_schemas()
        await connections.get("default").execute_script(FILL)
        boss = await User.create(
            username="boss", display_name="boss", role=Role.SUPERVISOR, password_hash="-"
        )
        everything = OverdueFilter(as_of=AS_OF)
        narrow = OverdueFilter(as_of=AS_OF, programme_codes=("1090",), year=2020, town="town4")
        deep = OverdueCursor(dt.date(2020, 8, 1), 5000, 150000)
        await explain("first page", page_sql(everything, boss, 21))
        await explain("deep page", page_sql(everything, boss, 21, deep))
        await explain("1090/2020 in town4", page_sql(narrow, boss, 21))
        await explain("totalCount", count_sql(everything, boss))
        await timed("first page", overdue_page(everything, boss, 20))
        await timed("totalCount", overdue_count(everything, boss))
        for group_by in OverdueGroupBy:
            await timed(f"summary {group_by}", overdue_summary(everything, boss, group_by))
    finally:
        await Tortoise.close_connections()
        await admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(
        run(sys.argv[1] if len(sys.argv) > 1 else "postgres://postgres@127.0.0.1:5432/test")
    )
