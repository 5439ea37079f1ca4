"""Supervision rules: overdue reviews, refusals, answered once, who may see which."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domain.access import Access
from server.domain.errors import Problem, Problems, Refused
from server.domain.models import AuditEntry, Notification, Role, SupervisionReview
from server.domain.supervision import (
    ALREADY_ANSWERED,
    MAX_TEXT_LENGTH,
    check_text,
    create_review,
    is_overdue,
    respond,
    respond_to_review,
    review_milestone,
    review_problems,
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
    problems = review_problems(done, "", TODAY - dt.timedelta(days=1), TODAY)
    assert [p.field for p in problems.found] == [
        ("input", "milestoneId"),
        ("input", "instruction"),
        ("input", "respondBy"),
    ]
    too_long, fine = Problems(), Problems()
    check_text(too_long, "x" * (MAX_TEXT_LENGTH + 1), "response")
    check_text(fine, " 好 ", "response")
    assert [p.code for p in too_long.found] == ["INVALID"]
    assert fine.found == []


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
    with pytest.raises(Refused) as refused:
        await respond(stale, office.user, "另一个答复")
    assert refused.value.problems == [Problem("CONFLICT", ALREADY_ANSWERED, ("input", "reviewId"))]
    stored = await SupervisionReview.get(id=review.id)
    assert stored.response == "已加派人手" and stored.responded_by_id == site.user.id


async def test_reviews_and_answers_are_for_those_who_see_the_project(
    make_account: MakeAccount,
) -> None:
    boss = await make_account(Role.SUPERVISOR, "boss")
    site = await make_account(Role.SITE_MANAGER, "site")
    stranger = await make_account(Role.SITE_MANAGER, "stranger")
    project = await factories.project("V")
    await project.site_managers.add(site.user)
    milestone = await factories.milestone(project, TODAY)
    with pytest.raises(Refused) as refused:
        await review_milestone(boss.user, None, "加快", None, TODAY)
    assert refused.value.problems == [
        Problem("NOT_FOUND", "No such milestone.", ("input", "milestoneId"))
    ]
    review = await review_milestone(Access(boss.user), milestone.id, " 加快 ", TODAY, TODAY)
    assert review.instruction == "加快"
    assert await Notification.filter(user=site.user, kind="SUPERVISION_INSTRUCTION").exists()
    with pytest.raises(Refused) as refused:
        await respond_to_review(stranger.user, review.id, "好")
    assert [p.code for p in refused.value.problems] == ["NOT_FOUND"]
    with pytest.raises(Refused) as refused:
        await respond_to_review(site.user, review.id, "  ")
    assert [p.field for p in refused.value.problems] == [("input", "response")]
    answered = await respond_to_review(site.user, review.id, "已加派人手")
    assert answered.responded_by_id == site.user.id
    with pytest.raises(Refused) as refused:
        await respond_to_review(site.user, review.id, "")
    assert [p.code for p in refused.value.problems] == ["CONFLICT", "INVALID"]
    actions = await AuditEntry.all().order_by("id").values_list("action", flat=True)
    assert actions == ["supervision.review", "supervision.respond"]
