"""The ASGI application factory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from schema import build_schema
from schema.scalars import set_display_zone
from server.db import apply_migrations, close_db, init_db
from server.exports import ROUTES as EXPORT_ROUTES
from server.graphiql import ASSETS_DIR, ASSETS_URL
from server.graphql_http import GraphQLEndpoint
from server.photo_files import PhotoFileEndpoint
from server.settings import Settings


def create_app(settings: Settings | None = None, *, migrate: bool = False) -> Starlette:
    """Build the service; with `migrate`, the schema is brought up to date at start-up."""
    settings = settings or Settings.from_env()
    set_display_zone(settings.zone)
    endpoint = GraphQLEndpoint(build_schema(), settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if migrate:
            await apply_migrations(settings)
        await init_db(settings)
        try:
            yield
        finally:
            await close_db()

    routes = [
        Route("/graphql", endpoint.handle, methods=["GET", "POST"]),
        *EXPORT_ROUTES,
        Route("/photos/{photo_id:int}/{variant:str}", PhotoFileEndpoint(settings).handle),
        Mount(ASSETS_URL, app=StaticFiles(directory=ASSETS_DIR, check_dir=False)),
    ]
    app = Starlette(debug=settings.debug, routes=routes, lifespan=lifespan)
    app.state.settings = settings
    app.state.graphql = endpoint
    return app
