"""Programme progress: the year's investment and the baseline execution index."""

from __future__ import annotations

import datetime as dt
import decimal

from server.domain.access import EVERY_PROJECT, ProjectScope
from server.domain.models import TaskSheet
from server.domain.progress import Execution, investment_by_programme, progress_by_programme
from tests import factories

STATUS = dt.date(2020, 6, 30)


def _day(offset: int) -> dt.date:
    return STATUS + dt.timedelta(days=offset)


async def test_execution_index_per_programme_project_and_unit() -> None:
    programme = await factories.programme("1090", 2020)
    other = await factories.programme("1050", 2020)
    good = await factories.project("G", programmes=(programme,), responsible_unit="徐工集团")
    late = await factories.project("L", programmes=(programme,), responsible_unit="城投公司")
    outside = await factories.project("O", programmes=(other,), responsible_unit="城投公司")
    # good: 2 due, both done on time, one more finished early -> 3 / 2
    await factories.milestone(good, _day(-30), done_on=_day(-31))
    await factories.milestone(good, _day(-1), done_on=_day(-1))
    await factories.milestone(good, _day(20), done_on=_day(-2))
    # late: 3 due, 1 done; one done only after the status date; one not due
    await factories.milestone(late, _day(-40), done_on=_day(-35))
    await factories.milestone(late, _day(-10), done_on=_day(5))
    await factories.milestone(late, _day(-5))
    await factories.milestone(late, _day(10))
    await factories.milestone(outside, _day(-10))

    found = (await progress_by_programme([programme.id, other.id], STATUS, EVERY_PROJECT))[
        programme.id
    ]
    assert (found.execution.finished, found.execution.baselined) == (4, 5)
    assert found.execution.index == 0.8 and found.execution.meets_target is False
    assert [(e.key, e.finished, e.baselined) for e in found.by_project] == [
        (str(late.id), 1, 3),
        (str(good.id), 3, 2),
    ]
    assert found.by_project[1].meets_target is True
    assert [(e.key, e.index) for e in found.by_unit] == [("城投公司", 1 / 3), ("徐工集团", 1.5)]

    manager_view = await progress_by_programme([programme.id], STATUS, ProjectScope(0))
    assert manager_view[programme.id].execution.baselined == 0
    assert manager_view[programme.id].execution.index is None
    assert manager_view[programme.id].execution.meets_target is None


async def test_investment_uses_the_newest_revision_of_the_programme_year() -> None:
    programme = await factories.programme("1090", 2020)
    empty = await factories.programme("765", 2020)
    first = await factories.project("A", programmes=(programme,))
    second = await factories.project("B", programmes=(programme,))
    money = decimal.Decimal
    await TaskSheet.create(
        project=first, year=2020, revision=1, annual_investment_target=money("1")
    )
    await TaskSheet.create(
        project=first,
        year=2020,
        revision=2,
        annual_investment_target=money("1250.50"),
        completed_investment=money("300.25"),
    )
    await TaskSheet.create(
        project=first, year=2021, revision=1, annual_investment_target=money("999")
    )
    await TaskSheet.create(
        project=second, year=2020, revision=1, annual_investment_target=money("0.10")
    )
    found = await investment_by_programme([programme.id, empty.id], EVERY_PROJECT)
    assert found[programme.id] == (money("1250.60"), money("300.25"))
    assert found[empty.id] == (None, None)


def test_execution_without_anything_due_has_no_index() -> None:
    assert Execution("k", "k", 0, 0).index is None
    assert Execution("k", "k", 19, 20).meets_target is True
    assert Execution("k", "k", 18, 20).meets_target is False
