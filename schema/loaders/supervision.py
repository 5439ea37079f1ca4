"""The supervision domain's DataLoaders."""

from __future__ import annotations

from schema.loaders import ByIdLoader
from server.domain import models


class ReviewLoader(ByIdLoader):
    """Supervision reviews by id."""

    model = models.SupervisionReview
