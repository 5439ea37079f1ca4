"""The schedule domain's DataLoaders."""

from __future__ import annotations

from schema.loaders import ByIdLoader
from server.domain import models


class MilestoneLoader(ByIdLoader):
    """Milestones by id."""

    model = models.Milestone


class PhaseLoader(ByIdLoader):
    """Roadmap phases by id."""

    model = models.Phase
