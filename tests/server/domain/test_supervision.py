"""Supervision rules: overdue reviews, refusals, answered once."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domain.models import Role, SupervisionReview
from server.domain.supervision import (
    ALREADY_ANSWERED,
    MAX_TEXT_LENGTH,
    ReviewRefused,
    create_review,
    is_overdue,
    respond,
    review_refusals,
    text_refusal,
)
from tests import factories
from tests.conftest import MakeAccount

TODAY = dt.date(2020, 3, 1)


def test_a_review_is_overdue_only_when_unanswered_past_its_date() -> None:
    review = SupervisionReview(respond_by=TODAY, responded_at=None)
    assert not is_overdue(review, TODAY)
    assert is_overdue(review, TODAY + dt.timedelta(days=1))
    assert not is_overdue(SupervisionReview(respond_by=None), TODAY)
    answered = SupervisionReview(respond_by=TODAY, responded_at=dt.datetime.now(dt.UTC))
    assert not is_overdue(answered, TODAY + dt.timedelta(days=5))


async def test_refusals_name_each_field() -> None:
    project = await factories.project("R")
    done = await factories.milestone(project, TODAY, done_on=TODAY)
    refusals = review_refusals(done, "", TODAY - dt.timedelta(days=1), TODAY)
    assert [r.field for r in refusals] == ["milestoneId", "instruction", "respondBy"]
    assert text_refusal("x" * (MAX_TEXT_LENGTH + 1), "response").code == "INVALID"
    assert text_refusal(" 好 ", "response") is None


async def test_the_first_answer_wins(make_account: MakeAccount) -> None:
    boss = await make_account(Role.SUPERVISOR, "boss")
    site = await make_account(Role.SITE_MANAGER, "site")
    office = await make_account(Role.OFFICE, "office")
    project = await factories.project("W")
    await project.site_managers.add(site.user)
    milestone = await factories.milestone(project, TODAY)
    review = await create_review(boss.user, milestone, " 加快进度 ", None)
    assert review.instruction == "加快进度" and review.project_id == project.id
    stale = await SupervisionReview.get(id=review.id)
    await respond(review, site.user, "已加派人手")
    with pytest.raises(ReviewRefused) as refused:
        await respond(stale, office.user, "另一个答复")
    assert refused.value.refusal == ALREADY_ANSWERED
    stored = await SupervisionReview.get(id=review.id)
    assert stored.response == "已加派人手" and stored.responded_by_id == site.user.id
