"""What every resolver gets as `info.context`: the viewer, settings and per-request loaders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiodataloader import DataLoader
from starlette.requests import Request

from server.domain.access import Access
from server.domain.clock import zone_today
from server.domain.models import User
from server.settings import Settings

LoaderT = TypeVar("LoaderT", bound=DataLoader)


class Loaders:
    """DataLoaders of one request, created on first use so each batches across the request."""

    def __init__(self, context: RequestContext) -> None:
        self._context = context
        self._loaders: dict[type, DataLoader] = {}

    def get(self, loader_class: type[LoaderT]) -> LoaderT:
        """The request's instance of `loader_class` (which takes the context in __init__)."""
        loader = self._loaders.get(loader_class)
        if loader is None:
            loader = self._loaders[loader_class] = loader_class(self._context)
        return loader  # type: ignore[return-value]


@dataclass
class RequestContext:
    """Per-request state shared by the resolvers of one GraphQL operation."""

    request: Request | None
    settings: Settings
    user: User | None = None
    token: str | None = None
    client_address: str = "unknown"
    """The caller's address as the HTTP layer read it (proxies included); direct calls share one."""
    files: dict[str, Any] = field(default_factory=dict)
    plans: dict[Any, Any] = field(default_factory=dict)
    """Plans of compiled pages by the field nodes they answer (`schema.compiled`): a page's
    resolver and its completion ask for the same plan."""
    loaders: Loaders = field(init=False)
    _today: dt.date | None = field(default=None, init=False)
    _access: Access | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    @property
    def access(self) -> Access:
        """The request's access checks for its user, created on first use (after sign-in)."""
        if self._access is None or self._access.user is not self.user:
            self._access = Access(self.user)
        return self._access

    @property
    def today(self) -> dt.date:
        """Today in the zone's time zone, fixed for the whole request."""
        if self._today is None:
            self._today = zone_today(self.settings.zone)
        return self._today
