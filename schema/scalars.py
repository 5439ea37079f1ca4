"""The contract's custom scalars: Date, DateTime (with offset) and Decimal (as a string).

Each scalar accepts only values the domain can store and do arithmetic on: dates and instants
in the domain's calendar (server.domain.schedule: 1900 to 2999), decimals that fit the database's
money columns. A bad
value is refused with a message saying why, whether it comes as a variable (`parse_value`
raises ValueError, which graphql-core reports as an invalid variable) or is written in the
document (`parse_literal` raises GraphQLError, reported as a validation error).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any
from zoneinfo import ZoneInfo

import graphene
from graphql import (
    FloatValueNode,
    GraphQLError,
    IntValueNode,
    StringValueNode,
    Undefined,
)
from graphql.language import ValueNode

from server.domain.schedule import EARLIEST_DATE, LATEST_DATE, in_calendar

# DateTime values are shown in the zone's time zone; the app sets it from settings at start-up.
_display_zone: list[ZoneInfo] = [ZoneInfo("Asia/Shanghai")]

# What every decimal column holds before the point: the narrowest, ticket quantities'
# DECIMAL(14, 3), takes 11 digits. The digits after it are each field's rule (money takes 2,
# quantities 3), checked by the mutations as field errors.
DECIMAL_INTEGER_DIGITS = 11
# No column keeps more than 3 digits after the point; past this many an exponent is refused
# before anything writes the number out (a written-out 0E-999999999 takes a gigabyte).
DECIMAL_FRACTION_DIGITS = 20
# Refused values are quoted in messages, cut to this many characters.
_QUOTED_LENGTH = 40


def set_display_zone(zone: ZoneInfo) -> None:
    """Choose the time zone DateTime values are rendered in (the zone's own)."""
    _display_zone[0] = zone


def quoted(value: Any) -> str:
    """`value` for an error message: its repr (control characters escaped), cut short."""
    text = repr(value)
    if len(text) > _QUOTED_LENGTH:
        text = text[: _QUOTED_LENGTH - 1] + "…"
    return text


def _check_calendar(day: dt.date, what: str) -> None:
    if not in_calendar(day):
        raise ValueError(f"{what} must be from {EARLIEST_DATE} to {LATEST_DATE}.")


def _literal(cls: type[graphene.Scalar], node: ValueNode, accepted: tuple[type, ...]) -> Any:
    """Parse a literal of a scalar: a validation error with the reason when it is refused."""
    if not isinstance(node, accepted):
        return Undefined  # graphql-core reports "Expected value of type ..."
    try:
        return cls.parse_value(node.value)
    except ValueError as exc:
        raise GraphQLError(
            f"Expected value of type '{cls._meta.name}'; {exc}",
            node,
            extensions={"code": "INVALID"},
        ) from None


class Date(graphene.Scalar):
    """ISO 8601 calendar date, e.g. "2020-02-20"; years 1900 to 2999."""

    @staticmethod
    def serialize(value: dt.date) -> str:
        """The date as YYYY-MM-DD."""
        return value.isoformat()

    @staticmethod
    def parse_value(value: Any) -> dt.date:
        """A date from its ISO text; ValueError when it is not one or out of range."""
        if not isinstance(value, str):
            raise ValueError("Date must be a string like 2020-02-20.")
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{quoted(value)} is not a date like 2020-02-20.") from None
        _check_calendar(parsed, "Date")
        return parsed

    @classmethod
    def parse_literal(cls, node: ValueNode, _variables: Any = None) -> Any:
        """A date written in the document; a validation error when it is refused."""
        return _literal(cls, node, (StringValueNode,))


class DateTime(graphene.Scalar):
    """ISO 8601 instant with offset, e.g. "2020-02-20T09:00:00+08:00"; years 1900 to 2999."""

    @staticmethod
    def serialize(value: dt.datetime) -> str:
        """The instant in the zone's time zone, with its offset."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(_display_zone[0]).isoformat()

    @staticmethod
    def parse_value(value: Any) -> dt.datetime:
        """An instant from its ISO text with offset; ValueError when refused."""
        if not isinstance(value, str):
            raise ValueError("DateTime must be a string like 2020-02-20T09:00:00+08:00.")
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{quoted(value)} is not an ISO 8601 date-time.") from None
        if parsed.tzinfo is None:
            raise ValueError("DateTime needs an offset, e.g. +08:00.")
        _check_calendar(parsed.date(), "DateTime")
        return parsed

    @classmethod
    def parse_literal(cls, node: ValueNode, _variables: Any = None) -> Any:
        """An instant written in the document; a validation error when it is refused."""
        return _literal(cls, node, (StringValueNode,))


class Decimal(graphene.Scalar):
    """Exact decimal as a string, e.g. "1250.50"; investment figures are in 10k CNY (万元).
    At most 11 digits before the point; each field says how many after it (money: 2)."""

    @staticmethod
    def serialize(value: decimal.Decimal | str) -> str:
        """The exact decimal as text."""
        return str(decimal.Decimal(value))

    @staticmethod
    def parse_value(value: Any) -> decimal.Decimal:
        """An exact decimal from text or a whole number, in plain notation ("1E+3" becomes
        1000, "-0" becomes 0); ValueError when refused.

        The exponent is checked before the number is written out: at most 11 digits before
        the point, including a zero's (0E+999999999), and at most 20 after it.
        """
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError('Decimal must be a string like "1250.50".')
        try:
            parsed = decimal.Decimal(value)
        except (decimal.InvalidOperation, ValueError):
            raise ValueError(f"{quoted(value)} is not a decimal number.") from None
        if not parsed.is_finite():
            raise ValueError("Decimal must be a finite number.")
        if parsed.adjusted() >= DECIMAL_INTEGER_DIGITS:
            raise ValueError(
                f"Decimal has at most {DECIMAL_INTEGER_DIGITS} digits before the point."
            )
        if parsed.as_tuple().exponent < -DECIMAL_FRACTION_DIGITS:
            raise ValueError(
                f"Decimal has at most {DECIMAL_FRACTION_DIGITS} digits after the point."
            )
        plain = decimal.Decimal(format(parsed, "f"))
        return plain.copy_abs() if plain.is_zero() else plain

    @classmethod
    def parse_literal(cls, node: ValueNode, _variables: Any = None) -> Any:
        """A decimal written in the document (string, or a number as typed); a validation
        error when it is refused."""
        return _literal(cls, node, (StringValueNode, IntValueNode, FloatValueNode))
