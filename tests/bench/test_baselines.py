"""The bench's bare routes answer exactly what their GraphQL queries answer."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bench import queries
from bench.baselines import routes
from bench.load import without_extensions
from bench.report import Row, _width, table
from bench.sqlcount import _postgres_scans, _sqlite_scans
from server.demo.scale import BUSY_SITE_MANAGER, SUPERVISOR, seed_scale
from server.domain.accounts import token_digest
from server.domain.clock import utc_now
from server.domain.models import AuthToken, User
from server.settings import Settings


async def _token(username: str) -> str:
    token = secrets.token_urlsafe(24)
    user = await User.get(username=username)
    await AuthToken.create(
        user=user, token_hash=token_digest(token), expires_at=utc_now() + timedelta(hours=1)
    )
    return token


@pytest.fixture
async def bare(settings: Settings) -> Any:
    """A client of the baseline routes alone (the ORM is already up for the test app)."""
    transport = httpx.ASGITransport(app=Starlette(routes=routes(settings)))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        yield http


async def _both(
    client: httpx.AsyncClient, bare: httpx.AsyncClient, query: str, path: str, token: str
) -> tuple[Any, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    ours = await client.post(
        "/graphql", json={"query": query, "variables": {"first": 20}}, headers=headers
    )
    theirs = await bare.get(path, headers=headers)
    assert ours.status_code == theirs.status_code == 200, (ours.text, theirs.text)
    assert "cost" in ours.json()["extensions"]
    return without_extensions(ours.json()), theirs.json()


async def test_the_baselines_answer_like_the_api(
    settings: Settings, client: httpx.AsyncClient, bare: httpx.AsyncClient
) -> None:
    await seed_scale(settings, projects=25, seed=5)
    site = await _token(BUSY_SITE_MANAGER)
    boss = await _token(SUPERVISOR)

    ours, theirs = await _both(client, bare, queries.ME, "/bench/me", site)
    assert ours == theirs
    ours, theirs = await _both(client, bare, queries.HOME, "/bench/home?first=20", site)
    assert len(ours["data"]["me"]["projects"]["edges"]) == 20
    assert ours == theirs
    ours, theirs = await _both(client, bare, queries.BOARD, "/bench/board?first=20", boss)
    assert ours["data"]["overdueMilestones"]["edges"]
    assert ours == theirs


async def test_the_baselines_refuse_a_missing_token(bare: httpx.AsyncClient) -> None:
    for path in ("/bench/me", "/bench/home", "/bench/board"):
        assert (await bare.get(path)).status_code == 401


def test_full_scans_are_found_in_both_plan_formats() -> None:
    plan = [
        {
            "Plan": {
                "Node Type": "Hash Join",
                "Plans": [
                    {"Node Type": "Seq Scan", "Relation Name": "milestone"},
                    {"Node Type": "Index Scan", "Relation Name": "project"},
                    {"Node Type": "Seq Scan", "Relation Name": "programme"},
                ],
            }
        }
    ]
    assert _postgres_scans(plan, set()) == {"milestone"}
    details = [
        "SCAN milestone_dependency",
        "SEARCH milestone USING INDEX x (id=?)",
        "SCAN photo USING INDEX y",
    ]
    assert _sqlite_scans(details) == {"milestone_dependency"}


def test_the_table_aligns_wide_characters() -> None:
    rows = [Row("督查 board", 1.5, "<= 2.0", True), Row("me", None, ">= 0.7", None, note="n/a")]
    lines = table(rows).splitlines()
    assert lines[0].startswith("row")
    assert "1.50" in lines[2] and "yes" in lines[2]
    assert _width(lines[2].split(" | ")[0]) == _width(lines[3].split(" | ")[0])
