"""The supervision mutations: `reviewMilestone` and `respondToReview`."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import ResolveInfo

from schema.errors import errors_field
from schema.mutations import mutation
from schema.relay import decode_id
from schema.scalars import Date
from schema.supervision.types import SupervisionReview
from server.domain import models, supervision
from server.domain.access import REVIEWERS, SITE_WRITERS


class ReviewMilestoneInput(graphene.InputObjectType):
    """A supervision instruction on a milestone."""

    milestone_id = graphene.ID(required=True, description="The milestone to push.")
    instruction = graphene.String(required=True, description="What is to be done.")
    respond_by = graphene.Field(Date, description="When the answer is due (today or later).")


class RespondToReviewInput(graphene.InputObjectType):
    """The answer to a supervision instruction."""

    review_id = graphene.ID(required=True, description="The review answered.")
    response = graphene.String(required=True, description="What was done, or will be.")


class SupervisionReviewPayload(graphene.ObjectType):
    """Result of a supervision mutation."""

    review = graphene.Field(SupervisionReview, description="The review as it now is.")
    errors = errors_field()


@mutation(
    SupervisionReviewPayload,
    ReviewMilestoneInput,
    roles=REVIEWERS,
    description="Give a supervision instruction (督办) on an open milestone; the project's "
    "site managers are notified.",
)
async def review_milestone(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    review = await supervision.review_milestone(
        info.context.access,
        decode_id(input.milestone_id, "Milestone"),
        input.instruction,
        input.get("respond_by"),
        info.context.today,
    )
    return {"review": review}


@mutation(
    SupervisionReviewPayload,
    RespondToReviewInput,
    roles=SITE_WRITERS,
    description="Answer a supervision instruction (site managers: on their own projects); "
    "a review is answered once.",
)
async def respond_to_review(
    info: ResolveInfo, user: models.User | None, input: Any
) -> dict[str, Any]:
    review = await supervision.respond_to_review(
        info.context.access, decode_id(input.review_id, "SupervisionReview"), input.response
    )
    return {"review": review}


class Mutations:
    """Supervision mutations."""

    review_milestone = review_milestone
    respond_to_review = respond_to_review
