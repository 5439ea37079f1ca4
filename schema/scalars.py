"""The contract's custom scalars: Date, DateTime (with offset) and Decimal (as a string)."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any
from zoneinfo import ZoneInfo

import graphene
from graphql import StringValueNode, Undefined
from graphql.language import ValueNode

# DateTime values are shown in the zone's time zone; the app sets it from settings at start-up.
_display_zone: list[ZoneInfo] = [ZoneInfo("Asia/Shanghai")]


def set_display_zone(zone: ZoneInfo) -> None:
    """Choose the time zone DateTime values are rendered in (the zone's own)."""
    _display_zone[0] = zone


class Date(graphene.Scalar):
    """ISO 8601 calendar date, e.g. "2020-02-20"."""

    @staticmethod
    def serialize(value: dt.date) -> str:
        return value.isoformat()

    @staticmethod
    def parse_value(value: Any) -> dt.date:
        if not isinstance(value, str):
            raise ValueError("Date must be a string like 2020-02-20")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date like 2020-02-20") from None

    @classmethod
    def parse_literal(cls, node: ValueNode, _variables: Any = None) -> Any:
        if isinstance(node, StringValueNode):
            return cls.parse_value(node.value)
        return Undefined


class DateTime(graphene.Scalar):
    """ISO 8601 instant with offset, e.g. "2020-02-20T09:00:00+08:00"."""

    @staticmethod
    def serialize(value: dt.datetime) -> str:
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(_display_zone[0]).isoformat()

    @staticmethod
    def parse_value(value: Any) -> dt.datetime:
        if not isinstance(value, str):
            raise ValueError("DateTime must be a string")
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date-time") from None
        if parsed.tzinfo is None:
            raise ValueError("DateTime needs an offset, e.g. +08:00")
        return parsed

    @classmethod
    def parse_literal(cls, node: ValueNode, _variables: Any = None) -> Any:
        if isinstance(node, StringValueNode):
            return cls.parse_value(node.value)
        return Undefined


class Decimal(graphene.Scalar):
    """Exact decimal as a string, e.g. "1250.50"; investment figures are in 10k CNY (万元)."""

    @staticmethod
    def serialize(value: decimal.Decimal | str) -> str:
        return str(decimal.Decimal(value))

    @staticmethod
    def parse_value(value: Any) -> decimal.Decimal:
        if not isinstance(value, str | int):
            raise ValueError('Decimal must be a string like "1250.50"')
        try:
            parsed = decimal.Decimal(value)
        except decimal.InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
        if not parsed.is_finite():
            raise ValueError("Decimal must be a finite number")
        return parsed

    @classmethod
    def parse_literal(cls, node: ValueNode, _variables: Any = None) -> Any:
        value = getattr(node, "value", None)
        if value is None:
            return Undefined
        return cls.parse_value(value)
