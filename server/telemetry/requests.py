"""What one HTTP request did, gathered while it runs, for its log line, metrics and trace.

The request middleware (`server.api.request_log`) starts a `RequestFacts` for each request and
makes it current; the parts of the service that know something fill it in (the GraphQL
endpoint: the operation, its cost, whether its document was cached, its outcome, the viewer;
the SQL statement counter: the statements); at the end the middleware logs it and records it
in the metrics.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass
class RequestFacts:
    """The facts of one request; None or 0 where the request did not get that far."""

    request_id: str
    method: str
    path: str
    status: int = 0
    bytes_out: int = 0
    user_id: int | None = None
    role: str | None = None
    operation_name: str | None = None
    operation_type: str | None = None
    """query, mutation or subscription (GraphQL requests only)."""
    outcome: str | None = None
    """ok, errors (the answer holds errors), refused (not run: budget, validation, …)."""
    query_cost: int | None = None
    document_cached: bool | None = None
    sql_statements: int = 0


_current: contextvars.ContextVar[RequestFacts | None] = contextvars.ContextVar(
    "wallchart_request_facts", default=None
)


def current() -> RequestFacts | None:
    """The facts of the request being served, or None outside one (command line, tests)."""
    return _current.get()


def begin(facts: RequestFacts) -> contextvars.Token[RequestFacts | None]:
    """Make `facts` current for the rest of this request; pass the token to `end`."""
    return _current.set(facts)


def end(token: contextvars.Token[RequestFacts | None]) -> None:
    """Stop gathering the facts made current by `begin`."""
    _current.reset(token)
