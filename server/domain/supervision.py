"""Supervision instructions (督办): giving one on a milestone, answering it, which are overdue.

A review is open until answered; it is overdue when it is open and its respond-by date has
passed (it is still due on the respond-by date itself). A review is answered once: the first
answer wins, a second one is a conflict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from graphql_relay import to_global_id
from tortoise.expressions import Case, When
from tortoise.queryset import QuerySet

from server.domain import audit
from server.domain.access import Access, access_of, acting_user, project_scope
from server.domain.clock import utc_now
from server.domain.errors import Problems, Refused
from server.domain.models import Milestone, MilestoneStatus, Project, SupervisionReview, User
from server.domain.notifications import notify
from server.domain.rows.supervision import ReviewRow

MAX_TEXT_LENGTH = 2000
REVIEW_NOTIFICATION = "SUPERVISION_INSTRUCTION"
REVIEW_OPERATION = "supervision.review"
RESPOND_OPERATION = "supervision.respond"
ALREADY_ANSWERED = "The review has already been answered."


def is_overdue(review: ReviewRow | SupervisionReview, today: dt.date) -> bool:
    """True when the review is unanswered and its respond-by date is before `today`."""
    return (
        review.responded_at is None and review.respond_by is not None and review.respond_by < today
    )


def check_text(problems: Problems, text: str, field: str) -> None:
    """Record why an instruction or answer text at the input `field` is refused (empty or too
    long), if it is."""
    cleaned = text.strip()
    if not cleaned:
        problems.add("INVALID", "Must not be empty.", "input", field)
    elif len(cleaned) > MAX_TEXT_LENGTH:
        problems.add("INVALID", f"At most {MAX_TEXT_LENGTH} characters.", "input", field)


def review_problems(
    milestone: Milestone, instruction: str, respond_by: dt.date | None, today: dt.date
) -> Problems:
    """Every reason a review of `milestone` is refused: done milestone, bad text, past date."""
    problems = Problems()
    if milestone.status == MilestoneStatus.DONE:
        problems.add("INVALID", "The milestone is already done.", "input", "milestoneId")
    check_text(problems, instruction, "instruction")
    if respond_by is not None and respond_by < today:
        problems.add("INVALID", "The respond-by date is in the past.", "input", "respondBy")
    return problems


async def site_manager_ids(project_id: int) -> list[int]:
    """Ids of the site managers of a project."""
    rows = await Project.filter(id=project_id).values_list("site_managers__id", flat=True)
    return [uid for uid in rows if uid is not None]


async def create_review(
    reviewer: User, milestone: Milestone, instruction: str, respond_by: dt.date | None
) -> SupervisionReview:
    """Record the instruction and notify the project's site managers (in the caller's
    transaction)."""
    review = await SupervisionReview.create(
        milestone=milestone,
        project_id=milestone.project_id,
        reviewer=reviewer,
        instruction=instruction.strip(),
        respond_by=respond_by,
    )
    deadline = f", answer by {respond_by.isoformat()}" if respond_by else ""
    await notify(
        await site_manager_ids(milestone.project_id),
        REVIEW_NOTIFICATION,
        f"督办 {milestone.title}: {review.instruction}{deadline}",
        subject_id=to_global_id("SupervisionReview", str(review.id)),
    )
    return review


async def review_milestone(
    actor: User | Access,
    milestone_id: int | None,
    instruction: str,
    respond_by: dt.date | None,
    today: dt.date,
) -> ReviewRow:
    """Give a supervision instruction on a milestone the reviewer sees (reviewMilestone); the
    row of the review as written.

    Refused: NOT_FOUND for a milestone that is missing or hidden; INVALID for a done
    milestone, an empty or over-long instruction, a respond-by date before `today`.
    """
    access = access_of(actor)
    reviewer = acting_user(access)
    milestone = await access.milestone(milestone_id, ("input", "milestoneId"))
    review_problems(milestone, instruction, respond_by, today).raise_if_any()
    review = await create_review(reviewer, milestone, instruction, respond_by)
    await audit.record(reviewer, REVIEW_OPERATION, review)
    return ReviewRow.of(review)


async def respond(review: SupervisionReview, responder: User, response: str) -> SupervisionReview:
    """Record the answer if nobody answered first (a conditional update), else CONFLICT."""
    now = utc_now()
    updated = await SupervisionReview.filter(id=review.id, responded_at__isnull=True).update(
        response=response.strip(), responded_at=now, responded_by_id=responder.id
    )
    if not updated:
        raise Refused("CONFLICT", ALREADY_ANSWERED, ("input", "reviewId"))
    await review.refresh_from_db()
    return review


async def respond_to_review(
    actor: User | Access, review_id: int | None, response: str
) -> ReviewRow:
    """Answer a supervision instruction on a project the responder sees (respondToReview); the
    row of the review as answered.

    Refused: NOT_FOUND for a review that is missing or hidden (`review_id` None: malformed);
    CONFLICT when it has been answered already; INVALID for an empty or over-long answer.
    """
    access = access_of(actor)
    responder = acting_user(access)
    review = await SupervisionReview.get_or_none(pk=review_id) if review_id is not None else None
    if review is None or not await access.can_see_project(review.project_id):
        raise Refused("NOT_FOUND", "No such review.", ("input", "reviewId"))
    problems = Problems()
    if review.responded_at is not None:
        problems.add("CONFLICT", ALREADY_ANSWERED, "input", "reviewId")
    check_text(problems, response, "response")
    problems.raise_if_any()
    before = audit.snapshot(review)
    review = await respond(review, responder, response)
    await audit.record(responder, RESPOND_OPERATION, review, before=before)
    return ReviewRow.of(review)


@dataclass(frozen=True)
class ReviewFilter:
    """Which open reviews to list: None means no restriction."""

    today: dt.date
    project_ids: tuple[int, ...] | None = None
    overdue_only: bool = False


def open_reviews(flt: ReviewFilter, user: User) -> QuerySet[SupervisionReview]:
    """Unanswered reviews `user` may see, earliest respond-by date first (undated last)."""
    queryset = SupervisionReview.filter(responded_at__isnull=True)
    if flt.project_ids is not None:
        queryset = queryset.filter(project_id__in=list(flt.project_ids))
    if flt.overdue_only:
        queryset = queryset.filter(respond_by__lt=flt.today)
    queryset = project_scope(user).filter(queryset)
    undated_last = Case(When(respond_by__isnull=True, then="1"), default="0")
    return queryset.annotate(undated=undated_last).order_by("undated", "respond_by", "id")
