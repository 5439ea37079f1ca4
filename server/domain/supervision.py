"""Supervision instructions (督办): giving one on a milestone, answering it, which are overdue.

A review is open until answered; it is overdue when it is open and its respond-by date has
passed (it is still due on the respond-by date itself). A review is answered once: the first
answer wins, a second one is a conflict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from graphql_relay import to_global_id
from tortoise.expressions import Case, Subquery, When
from tortoise.queryset import QuerySet

from server.domain.access import sees_every_project
from server.domain.clock import utc_now
from server.domain.models import Milestone, MilestoneStatus, Project, SupervisionReview, User
from server.domain.notifications import notify

MAX_TEXT_LENGTH = 2000
REVIEW_NOTIFICATION = "SUPERVISION_INSTRUCTION"


@dataclass(frozen=True)
class Refusal:
    """Why a review or an answer cannot be recorded; `field` is the input field at fault."""

    code: str
    message: str
    field: str


ALREADY_ANSWERED = Refusal("CONFLICT", "The review has already been answered.", "reviewId")


class ReviewRefused(Exception):
    """Raised when a review or an answer is refused."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def is_overdue(review: SupervisionReview, today: dt.date) -> bool:
    """True when the review is unanswered and its respond-by date is before `today`."""
    return (
        review.responded_at is None and review.respond_by is not None and review.respond_by < today
    )


def text_refusal(text: str, field: str) -> Refusal | None:
    """Why an instruction or answer text is refused (empty or too long), or None."""
    cleaned = text.strip()
    if not cleaned:
        return Refusal("INVALID", "Must not be empty.", field)
    if len(cleaned) > MAX_TEXT_LENGTH:
        return Refusal("INVALID", f"At most {MAX_TEXT_LENGTH} characters.", field)
    return None


def review_refusals(
    milestone: Milestone, instruction: str, respond_by: dt.date | None, today: dt.date
) -> list[Refusal]:
    """Every reason a review of `milestone` is refused: done milestone, bad text, past date."""
    refusals = []
    if milestone.status == MilestoneStatus.DONE:
        refusals.append(Refusal("INVALID", "The milestone is already done.", "milestoneId"))
    refusal = text_refusal(instruction, "instruction")
    if refusal is not None:
        refusals.append(refusal)
    if respond_by is not None and respond_by < today:
        refusals.append(Refusal("INVALID", "The respond-by date is in the past.", "respondBy"))
    return refusals


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


async def respond(review: SupervisionReview, responder: User, response: str) -> SupervisionReview:
    """Record the answer if nobody answered first (a conditional update), else CONFLICT."""
    now = utc_now()
    updated = await SupervisionReview.filter(id=review.id, responded_at__isnull=True).update(
        response=response.strip(), responded_at=now, responded_by_id=responder.id
    )
    if not updated:
        raise ReviewRefused(ALREADY_ANSWERED)
    await review.refresh_from_db()
    return review


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
    if not sees_every_project(user):
        managed = Project.filter(site_managers__id=user.id).values("id")
        queryset = queryset.filter(project_id__in=Subquery(managed))
    undated_last = Case(When(respond_by__isnull=True, then="1"), default="0")
    return queryset.annotate(undated=undated_last).order_by("undated", "respond_by", "id")
