"""Free text in ticket input: trimmed, and blank means not given."""

from __future__ import annotations


def clean_text(value: str | None) -> str | None:
    """`value` without surrounding whitespace; None when nothing is left."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None
