"""Named parameters for hand-written SQL on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domain.rawsql import bind, fetch, int_list, rows_by_id
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


def test_int_list_writes_only_whole_numbers() -> None:
    assert int_list([3, 1, True]) == "3, 1, 1"
    with pytest.raises(ValueError):
        int_list(["1) OR (1=1"])
    with pytest.raises(ValueError):
        int_list([])


async def test_rows_by_id_builds_the_same_rows_as_the_orm() -> None:
    from server.domain.models import Milestone, Project, Role, User

    project = await factories.project("RAW-2")
    milestone = await Milestone.create(
        project=project,
        title="主体封顶",
        baseline_date=dt.date(2020, 2, 20),
        planned_date=dt.date(2020, 4, 20),
    )
    user = await User.create(
        username="raw", display_name="Raw", role=Role.OFFICE, password_hash="x"
    )
    for model, pk in ((Project, project.id), (Milestone, milestone.id), (User, user.id)):
        [fetched] = await rows_by_id(model, [pk])
        expected = await model.get(id=pk)
        fields = model._meta.fields_db_projection
        assert {f: getattr(fetched, f) for f in fields} == {f: getattr(expected, f) for f in fields}
