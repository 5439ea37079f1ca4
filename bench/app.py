"""The ASGI app the bench serves: the real service, plus bench-only routes behind env vars.

`uvicorn --factory bench.app:create_bench_app` builds `server.api.app.create_app()` unchanged, then
- `WALLCHART_BENCH_BASELINES=1` mounts the bare Starlette baselines of `bench.baselines`;
- `WALLCHART_BENCH_COUNT_SQL=1` adds the `X-SQL-Statements` header and `/bench/explain` of
  `bench.sqlcount`.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette

from bench.baselines import routes
from bench.sqlcount import ROUTES, StatementCountMiddleware, install_statement_log
from server.api.app import create_app

BASELINES_ENV = "WALLCHART_BENCH_BASELINES"
COUNT_SQL_ENV = "WALLCHART_BENCH_COUNT_SQL"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def create_bench_app() -> Starlette:
    """The service with the bench's routes and middleware switched on by the environment."""
    app = create_app()
    if _flag(BASELINES_ENV):
        app.router.routes[0:0] = routes(app.state.settings)
    if _flag(COUNT_SQL_ENV):
        install_statement_log()
        app.router.routes[0:0] = ROUTES
        app.add_middleware(StatementCountMiddleware)
    return app
