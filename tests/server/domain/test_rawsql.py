"""Named parameters for hand-written SQL on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domain.rawsql import bind, fetch
from tests import factories


def test_bind_numbers_placeholders_per_dialect_and_expands_lists() -> None:
    sql = "SELECT 1 WHERE a = :a AND b IN (:bs) AND c < :when"
    values = {"a": 1, "bs": ["x", "y"], "when": dt.date(2020, 2, 20)}
    assert bind(sql, values, "sqlite") == (
        "SELECT 1 WHERE a = ? AND b IN (?, ?) AND c < ?",
        [1, "x", "y", "2020-02-20"],
    )
    assert bind(sql, values, "postgres") == (
        "SELECT 1 WHERE a = $1 AND b IN ($2, $3) AND c < $4",
        [1, "x", "y", dt.date(2020, 2, 20)],
    )


def test_bind_refuses_an_empty_list() -> None:
    with pytest.raises(ValueError, match="empty"):
        bind("SELECT 1 WHERE a IN (:ids)", {"ids": []}, "sqlite")


async def test_fetch_runs_on_the_test_database() -> None:
    project = await factories.project("RAW-1")
    rows = await fetch("SELECT code FROM project WHERE id IN (:ids)", {"ids": [project.id]})
    assert [row["code"] for row in rows] == ["RAW-1"]


async def test_datetimes_compare_with_stored_ones_on_the_same_day() -> None:
    from server.domain.clock import utc_now
    from server.domain.models import AuthToken, Role, User

    user = await User.create(username="u", display_name="u", role=Role.OFFICE, password_hash="x")
    now = utc_now()
    await AuthToken.create(user=user, token_hash="h", expires_at=now + dt.timedelta(minutes=5))
    sql = "SELECT count(*) AS n FROM auth_token WHERE expires_at > :at"
    assert (await fetch(sql, {"at": now}))[0]["n"] == 1
    assert (await fetch(sql, {"at": now + dt.timedelta(minutes=10)}))[0]["n"] == 0
