"""The programmes domain's DataLoaders."""

from __future__ import annotations

from schema.loaders import ByIdLoader
from server.domain import models


class ProgrammeLoader(ByIdLoader):
    """Programmes by id."""

    model = models.Programme
