"""Counting the SQL statements each request sends, from Tortoise's statement log.

Tortoise logs every statement it sends at DEBUG on `tortoise.db_client`; a handler there adds
one to the current request's `sql_statements` for each (it never formats or prints them, and
the logger stops propagating, so statements and their values never reach the service's log).
"""

from __future__ import annotations

import logging

from server.telemetry import requests

DB_CLIENT_LOGGER = "tortoise.db_client"
_STATEMENT_STARTS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


def _statement_text(record: logging.LogRecord) -> str:
    """The SQL of a Tortoise log record, without formatting its values into it."""
    if record.msg == "%s: %s" and isinstance(record.args, tuple) and record.args:
        return str(record.args[0])
    return str(record.msg)


class StatementCounter(logging.Handler):
    """Adds each data statement (SELECT, INSERT, UPDATE, DELETE, WITH) Tortoise sends to the
    current request's facts; outside a request it does nothing."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        """Count `record` when it is a statement sent while a request is current."""
        facts = requests.current()
        if facts is None:
            return
        if _statement_text(record).lstrip()[:6].upper().startswith(_STATEMENT_STARTS):
            facts.sql_statements += 1


def install() -> StatementCounter:
    """Attach the counter to Tortoise's statement logger (once; later calls return it)."""
    logger = logging.getLogger(DB_CLIENT_LOGGER)
    for handler in logger.handlers:
        if isinstance(handler, StatementCounter):
            return handler
    counter = StatementCounter()
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return counter
