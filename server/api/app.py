"""The ASGI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from schema import build_schema
from schema.scalars import set_display_zone
from server.api.exports import ROUTES as EXPORT_ROUTES
from server.api.geojson_export import ROUTES as GEOJSON_EXPORT_ROUTES
from server.api.graphiql import ASSETS_DIR, ASSETS_URL
from server.api.graphql_http import GraphQLEndpoint, unavailable_response
from server.api.labour_export import ROUTES as LABOUR_EXPORT_ROUTES
from server.api.metrics_endpoint import MetricsEndpoint
from server.api.middleware import http_middleware
from server.api.photo_files import PhotoFileEndpoint
from server.api.probes import Readiness, healthz
from server.api.request_log import RequestLog
from server.api.scheduler import run_board_scheduler
from server.api.upload_spool import remove_stale_uploads
from server.api.weekly_board_export import ROUTES as WEEKLY_BOARD_EXPORT_ROUTES
from server.db import UNREACHABLE_ERRORS, apply_migrations, close_db, init_db
from server.settings import Settings, database_for_display
from server.telemetry import statements, tracing
from server.telemetry.logs import configure_logging

logger = logging.getLogger("wallchart")

SWEEP_EVERY_SECONDS = 600


async def sweep_stale_uploads(settings: Settings) -> None:
    """Remove upload files an interrupted run left, at start-up and every ten minutes.

    A file is stale once it is older than any live upload can be, so a restart a moment after
    a crash still gets its leftovers removed by the next sweep.
    """
    while True:
        removed = await asyncio.to_thread(remove_stale_uploads, settings)
        if removed:
            logger.info("removed %d upload files left by an interrupted run", removed)
        await asyncio.sleep(SWEEP_EVERY_SECONDS)


def create_app(
    settings: Settings | None = None, *, migrate: bool = False, schedule: bool = False
) -> Starlette:
    """Build the service; with `migrate`, the schema is brought up to date at start-up; with
    `schedule`, the board's nightly snapshot runs in it (what `serve` does)."""
    settings = settings or Settings.from_env()
    set_display_zone(settings.zone)
    endpoint = GraphQLEndpoint(build_schema(), settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if migrate:
            await apply_migrations(settings)
            logger.info("migrations applied")
        await init_db(settings)
        statements.install()
        logger.info(
            "service started",
            extra={
                "data_dir": settings.data_dir,
                "database": database_for_display(settings.database_url),
                "media": settings.media_root,
            },
        )
        background = [asyncio.create_task(sweep_stale_uploads(settings))]
        if schedule:
            background.append(asyncio.create_task(run_board_scheduler(settings)))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            # Requests cut off by the shutdown deleted their own spool files; this takes
            # what earlier, interrupted runs left.
            await asyncio.to_thread(remove_stale_uploads, settings)
            await close_db()

    routes = [
        Route("/graphql", endpoint.handle, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", Readiness(settings).handle, methods=["GET", "HEAD"]),
        Route("/metrics", MetricsEndpoint(settings).handle, methods=["GET"]),
        *EXPORT_ROUTES,
        *LABOUR_EXPORT_ROUTES,
        *WEEKLY_BOARD_EXPORT_ROUTES,
        *GEOJSON_EXPORT_ROUTES,
        Route("/photos/{photo_id:int}/{variant:str}", PhotoFileEndpoint(settings).handle),
        Mount(ASSETS_URL, app=StaticFiles(directory=ASSETS_DIR, check_dir=False)),
    ]

    async def unavailable(request: Request, exc: Exception) -> Response:
        return unavailable_response()

    app = Starlette(
        debug=settings.debug,
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(RequestLog, settings=settings), *http_middleware(settings)],
        exception_handlers=dict.fromkeys(UNREACHABLE_ERRORS, unavailable),
    )
    app.state.settings = settings
    app.state.graphql = endpoint
    if (tracer_provider := tracing.configure_tracing(settings)) is not None:
        tracing.trace_requests(app, tracer_provider)
    return app


def app_from_env() -> Starlette:
    """The service built from the WALLCHART_* variables: what each worker process of
    `python -m server serve` runs (uvicorn's `factory=True`), logging as the command does."""
    settings = Settings.from_env()
    configure_logging(settings)
    return create_app(settings, schedule=True)
