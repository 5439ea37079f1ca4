"""Registered GraphQL documents: the allow-list a released app runs from, kept by SHA-256.

A document is registered under the SHA-256 (hex) of its exact text, as Apollo's persisted
queries name it; registering is idempotent (a hash already there is left as it was) and a batch
is written in one transaction. Every worker reads the same table, so a registered document is
known to all of them, also after a restart. Whether the text is a valid document is for the
caller to check (the schema lives above this layer).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from server.domain.models import PersistedQuery
from server.domain.models.sync import OPERATION_NAMES_LENGTH, SOURCE_LENGTH

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def document_hash(text: str) -> str:
    """The SHA-256 of `text` (UTF-8), in lower-case hex: the name a document is persisted by."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_document_hash(value: str) -> bool:
    """True when `value` is a SHA-256 in lower-case hex (64 digits)."""
    return SHA256_HEX.fullmatch(value) is not None


def _clipped(text: str, length: int) -> str:
    """`text` cut to `length` characters, with an ellipsis when it was longer."""
    return text if len(text) <= length else text[: length - 1] + "…"


@dataclass(frozen=True)
class DocumentToRegister:
    """A checked document on its way into the table, with where it came from."""

    text: str
    operation_names: tuple[str, ...]
    source: str

    @property
    def sha256(self) -> str:
        """The hash the document is registered under."""
        return document_hash(self.text)


@dataclass(frozen=True)
class Registration:
    """What registering one document did: `added` False when its hash was there already."""

    document: DocumentToRegister
    added: bool


async def registered_document(sha256: str) -> str | None:
    """The text registered under `sha256`, or None (one statement)."""
    found = await PersistedQuery.filter(sha256=sha256).limit(1).values_list("document", flat=True)
    return found[0] if found else None


async def register(documents: Sequence[DocumentToRegister]) -> list[Registration]:
    """Register `documents` in one transaction; a hash already registered (or repeated in the
    batch) is kept as it was. One outcome per document, in order."""
    hashes = [document.sha256 for document in documents]
    outcomes: list[Registration] = []
    async with in_transaction():
        known = set(await PersistedQuery.filter(sha256__in=hashes).values_list("sha256", flat=True))
        for document, sha256 in zip(documents, hashes, strict=True):
            added = sha256 not in known
            if added:
                await PersistedQuery.create(
                    sha256=sha256,
                    document=document.text,
                    operation_names=_clipped(
                        ",".join(document.operation_names), OPERATION_NAMES_LENGTH
                    ),
                    source=_clipped(document.source, SOURCE_LENGTH),
                )
                known.add(sha256)
            outcomes.append(Registration(document, added))
    return outcomes


async def unregister(hashes: Iterable[str]) -> list[str]:
    """Remove the documents of `hashes` (one transaction); the hashes that were registered."""
    wanted = sorted(set(hashes))
    async with in_transaction():
        found = await PersistedQuery.filter(sha256__in=wanted).values_list("sha256", flat=True)
        await PersistedQuery.filter(sha256__in=wanted).delete()
    return sorted(found)


async def registered_documents() -> list[PersistedQuery]:
    """Every registered document, oldest first."""
    return await PersistedQuery.all().order_by("registered_at", "sha256")
