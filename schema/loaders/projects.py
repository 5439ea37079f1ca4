"""The projects domain's DataLoaders."""

from __future__ import annotations

from schema.loaders import ByIdLoader
from server.domain import models


class ProjectLoader(ByIdLoader):
    """Projects by id."""

    model = models.Project


class TaskSheetLoader(ByIdLoader):
    """Task sheets by id."""

    model = models.TaskSheet


class TaskItemLoader(ByIdLoader):
    """Task items by id."""

    model = models.TaskItem
