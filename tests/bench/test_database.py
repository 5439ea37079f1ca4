"""The bench database's fingerprint: it reads the files that decide the seeded content."""

from __future__ import annotations

from bench.database import FINGERPRINTED, fingerprint


def test_the_fingerprint_covers_the_migrations_and_the_generator() -> None:
    assert all(path.is_dir() and any(path.rglob("*.py")) for path in FINGERPRINTED)
    assert fingerprint(500) == fingerprint(500)
    assert fingerprint(500) != fingerprint(10_000)
