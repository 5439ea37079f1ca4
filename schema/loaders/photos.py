"""The photos domain's DataLoaders."""

from __future__ import annotations

from schema.loaders import ByIdLoader
from server.domain import models


class PhotoLoader(ByIdLoader):
    """Photos by id."""

    model = models.Photo
