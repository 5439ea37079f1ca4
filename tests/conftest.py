"""Shared fixtures: a real database (SQLite or PostgreSQL), the ASGI app, users and tokens.

`WALLCHART_TEST_DATABASE=postgres` runs the suite against a fresh database created on the
server of `WALLCHART_TEST_POSTGRES_URL` and dropped afterwards; the default is SQLite.
"""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette
from tortoise import Tortoise, connections

from server.api.app import create_app
from server.domain import sessions
from server.domain.accounts import hash_password, token_digest
from server.domain.clock import utc_now
from server.domain.models import AuthToken, Role, User
from server.settings import Settings

BACKEND = os.environ.get("WALLCHART_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get(
    "WALLCHART_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
)
TEST_PASSWORD = "correct horse battery"


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """URL of an empty database for this test session, dropped at the end."""
    if BACKEND == "sqlite":
        yield f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    name = f"wallchart_test_{uuid.uuid4().hex[:12]}"
    admin_url = POSTGRES_URL.replace("postgres://", "postgresql://")
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(POSTGRES_URL, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the test service: its own database and media folder."""
    return Settings.from_env(
        {},
        database_url=database_url,
        media_root=str(tmp_path_factory.mktemp("media")),
        secret_key="test-secret-key",
        timezone="Asia/Shanghai",
        debug=False,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    """The ASGI app with its lifespan running and the schema created."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await Tortoise.generate_schemas()
        yield application


def _table_names() -> list[str]:
    names: set[str] = set()
    for model in Tortoise.apps.get_models_iterable():
        description = model.describe(serializable=False)
        names.add(description["table"])
        names.update(field["through"] for field in description["m2m_fields"])
    return sorted(names)


async def empty_database() -> None:
    """Empty every table (and reset PostgreSQL's id sequences)."""
    connection = connections.get("default")
    tables = _table_names()
    if BACKEND == "sqlite":
        for table in tables:
            await connection.execute_script(f'DELETE FROM "{table}"')
    else:
        quoted = ", ".join(f'"{t}"' for t in tables)
        await connection.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


@pytest.fixture(autouse=True)
async def clean_database(app: Starlette) -> AsyncIterator[None]:
    """Every test starts from empty tables."""
    yield
    await empty_database()


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the ASGI app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One Argon2 hash of TEST_PASSWORD, reused so each test does not pay for hashing."""
    return hash_password(TEST_PASSWORD)


@dataclass
class Account:
    """A test user with a live bearer token."""

    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header for this account."""
        return {"Authorization": f"Bearer {self.token}"}


MakeAccount = Callable[..., Any]


@pytest.fixture
def make_account(password_hash: str) -> MakeAccount:
    """Factory: `await make_account(Role.OFFICE, "name")` creates a user and a token."""

    async def make(role: Role, username: str | None = None, **fields: Any) -> Account:
        user = await User.create(
            username=username or f"{role.value.lower()}-{secrets.token_hex(3)}",
            display_name=fields.pop("display_name", username or role.value),
            role=role,
            password_hash=password_hash,
            **fields,
        )
        token = secrets.token_urlsafe(24)
        digest = token_digest(token)
        await AuthToken.create(
            user=user,
            token_hash=digest,
            expires_at=utc_now() + timedelta(hours=1),
            last_used_at=utc_now(),
        )
        sessions.note_use(digest)  # as `issue_token` does: issuing is the token's first use
        return Account(user, token)

    return make


@pytest.fixture
async def office(make_account: MakeAccount) -> Account:
    """A project office user."""
    return await make_account(Role.OFFICE, "office")


@pytest.fixture
async def admin(make_account: MakeAccount) -> Account:
    """An administrator."""
    return await make_account(Role.ADMIN, "admin")


@pytest.fixture
async def supervisor(make_account: MakeAccount) -> Account:
    """A supervisor."""
    return await make_account(Role.SUPERVISOR, "supervisor")


@pytest.fixture
async def coordinator(make_account: MakeAccount) -> Account:
    """A coordinator."""
    return await make_account(Role.COORDINATOR, "coordinator")


@pytest.fixture
async def site_manager(make_account: MakeAccount) -> Account:
    """A site manager (of no project until a test adds them)."""
    return await make_account(Role.SITE_MANAGER, "site1")


GraphQL = Callable[..., Any]


@pytest.fixture
def graphql(client: httpx.AsyncClient) -> GraphQL:
    """`await graphql(query, variables, account=..., status=200)` -> the JSON body."""

    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        account: Account | None = None,
        status: int = 200,
    ) -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=account.headers if account else {},
        )
        assert response.status_code == status, response.text
        return response.json()

    return run


class StatementCounter(logging.Handler):
    """Counts the SQL statements Tortoise sends while attached."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.statements.append(message)


@pytest.fixture
def count_statements() -> Callable[[], Any]:
    """Context manager yielding a StatementCounter for the SQL run inside it."""

    @contextmanager
    def counting() -> Iterator[StatementCounter]:
        logger = logging.getLogger("tortoise.db_client")
        counter = StatementCounter()
        previous = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(counter)
        try:
            yield counter
        finally:
            logger.removeHandler(counter)
            logger.setLevel(previous)

    return counting


@pytest.fixture
def media_root(settings: Settings) -> Path:
    """The test service's media folder."""
    return Path(settings.media_root)
