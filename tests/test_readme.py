"""The README stays the operator's reference: every setting is in its table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from server.settings import PREFIX, Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [
        PREFIX + field.name.upper()
        for field in dataclasses.fields(Settings)
        if f"`{PREFIX}{field.name.upper()}`" not in text
    ]
    assert missing == [], f"settings missing from README.md: {missing}"
