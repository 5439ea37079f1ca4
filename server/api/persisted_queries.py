"""Apollo's automatic persisted queries over HTTP, the allow-list mode, and documents from files.

The protocol: a request names its document by `extensions.persistedQuery = {"version": 1,
"sha256Hash": "<hex>"}`, over POST (JSON body) or GET (`?extensions=<json>&variables=<json>`,
so that the HTTP layer can cache it). With the hash alone, a document this worker knows (in
memory, else registered in the `persisted_query` table: one statement, only on a miss) runs;
an unknown hash is answered `PersistedQueryNotFound` with status 200, as Apollo Client's
persisted-queries link expects before it sends the text once (a 4xx or 5xx would make the
link turn itself off). With the text too, the hash must be the text's SHA-256; the document
is then learned, in memory only, bounded in count and characters. Every document, however it
was named, goes through the same limits and validation (`server.api.documents`).

In allow-list mode (`WALLCHART_PERSISTED_QUERIES=allowlist`) only documents registered with
`python -m server register-queries` run and nothing is learned automatically, except for the
roles `server.domain.access` lets run other documents (office staff and admins, whose scripts
are theirs); their documents are remembered for them alone.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode

from server.api.documents import DocumentCache
from server.api.http_errors import BadRequest
from server.api.request_body import bad_string
from server.domain.access import may_run_unregistered_documents
from server.domain.models import User
from server.domain.persisted_queries import (
    DocumentToRegister,
    Registration,
    document_hash,
    is_document_hash,
    registered_document,
)
from server.settings import Settings

VERSION = 1
NOT_FOUND = "PersistedQueryNotFound"
"""The message Apollo Client's persisted-queries link answers by sending the text."""
NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"
MISMATCH_CODE = "PERSISTED_QUERY_HASH_MISMATCH"
VERSION_CODE = "PERSISTED_QUERY_VERSION_UNSUPPORTED"
NOT_ALLOWED_CODE = "PERSISTED_QUERY_NOT_ALLOWED"
DOCUMENT_SUFFIXES = (".graphql", ".gql")
"""Files of one GraphQL document each, also found in folders; `.json` manifests are read
when named."""

Viewer = Callable[[], Awaitable[User | None]]


@dataclass(frozen=True)
class PersistedQueryExtension:
    """The `persistedQuery` extension of a request: the SHA-256 naming its document."""

    sha256: str


def persisted_query_extension(extensions: Any) -> PersistedQueryExtension | None:
    """The persisted-query extension of a request's `extensions` member, if it has one.

    Refused with 400 when `extensions` is not an object, `persistedQuery` is not one, its
    version is not 1 or its hash is not 64 hexadecimal digits (either case).
    """
    if extensions is None:
        return None
    if not isinstance(extensions, dict):
        raise BadRequest("`extensions` must be an object.")
    extension = extensions.get("persistedQuery")
    if extension is None:
        return None
    if not isinstance(extension, dict):
        raise BadRequest(
            "`extensions.persistedQuery` must be an object: {version: 1, sha256Hash: <hex>}."
        )
    version = extension.get("version")
    if type(version) is not int or version != VERSION:
        raise BadRequest(
            f"Unsupported persisted query version: only version {VERSION} is supported.",
            code=VERSION_CODE,
        )
    sha256 = extension.get("sha256Hash")
    if not isinstance(sha256, str) or not is_document_hash(sha256.lower()):
        raise BadRequest(
            "`extensions.persistedQuery.sha256Hash` must be the SHA-256 of the document "
            "as 64 hexadecimal digits."
        )
    return PersistedQueryExtension(sha256.lower())


@dataclass
class _Known:
    text: str
    registered: bool


class KnownDocuments:
    """Documents by hash, least recently used dropped first, within a count and a number of
    characters."""

    def __init__(self, max_entries: int, max_chars: int) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self.chars = 0
        self._entries: OrderedDict[str, _Known] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, sha256: str) -> _Known | None:
        """The entry of `sha256`, marked as just used, or None."""
        entry = self._entries.get(sha256)
        if entry is not None:
            self._entries.move_to_end(sha256)
        return entry

    def put(self, sha256: str, text: str, *, registered: bool) -> None:
        """Keep `text` under `sha256` (a registered entry stays registered)."""
        old = self._entries.pop(sha256, None)
        if old is not None:
            self.chars -= len(old.text)
            registered = registered or old.registered
        if len(text) > self.max_chars or self.max_entries == 0:
            return
        self._entries[sha256] = _Known(text, registered)
        self.chars += len(text)
        while len(self._entries) > self.max_entries or self.chars > self.max_chars:
            _, dropped = self._entries.popitem(last=False)
            self.chars -= len(dropped.text)


@dataclass(frozen=True)
class ResolvedDocument:
    """The text a request runs, and the hash to learn it under once it proves runnable."""

    text: str
    learn: str | None = None


class PersistedQueries:
    """The persisted-query side of the /graphql endpoint, one per worker."""

    def __init__(self, settings: Settings) -> None:
        self.allowlist = settings.persisted_queries == "allowlist"
        self.known = KnownDocuments(
            settings.persisted_query_cache_size, settings.persisted_query_cache_bytes
        )

    async def resolve(
        self, query: str | None, extension: PersistedQueryExtension | None, viewer: Viewer
    ) -> ResolvedDocument:
        """The document a request runs: its text, or the one its hash names.

        Raises BadRequest: `PersistedQueryNotFound` (200) for an unknown hash, a hash that is
        not the text's (400), a document outside the allow-list (403).
        """
        if extension is None:
            assert query is not None  # the request's parameters require one or the other
            if self.allowlist:
                await self._check_allowed(document_hash(query), viewer)
            return ResolvedDocument(query)
        sha256 = extension.sha256
        if query is None:
            return ResolvedDocument(await self._text_of(sha256, viewer))
        if document_hash(query) != sha256:
            raise BadRequest(
                "`sha256Hash` is not the SHA-256 of the query text (UTF-8, hex): "
                "the document was not stored.",
                code=MISMATCH_CODE,
            )
        if self.allowlist:
            registered = await self._check_allowed(sha256, viewer)
            return ResolvedDocument(query, None if registered else sha256)
        return ResolvedDocument(query, sha256)

    def learn(self, resolved: ResolvedDocument) -> None:
        """Remember a runnable document sent with its hash (unregistered in allow-list mode:
        for the roles that may run such documents)."""
        if resolved.learn is not None:
            self.known.put(resolved.learn, resolved.text, registered=False)

    async def _text_of(self, sha256: str, viewer: Viewer) -> str:
        """The text of a document sent by hash alone; PersistedQueryNotFound when unknown."""
        entry = self.known.get(sha256)
        if entry is not None and (
            entry.registered or not self.allowlist or may_run_unregistered_documents(await viewer())
        ):
            return entry.text
        text = await registered_document(sha256)
        if text is None:
            raise BadRequest(NOT_FOUND, 200, NOT_FOUND_CODE)
        self.known.put(sha256, text, registered=True)
        return text

    async def _check_allowed(self, sha256: str, viewer: Viewer) -> bool:
        """Whether the document of `sha256` is registered; refused (403) when it is not and
        the viewer may not run other documents."""
        entry = self.known.get(sha256)
        if entry is not None and entry.registered:
            return True
        if may_run_unregistered_documents(await viewer()):
            return False
        text = await registered_document(sha256)
        if text is None:
            raise BadRequest(
                "Only registered documents run on this server (allow-list mode): register "
                "this one with `python -m server register-queries`.",
                403,
                NOT_ALLOWED_CODE,
            )
        self.known.put(sha256, text, registered=True)
        return True


# --- documents from files, for `python -m server register-queries` ---------------------------


@dataclass(frozen=True)
class FoundDocument:
    """A document read from a file, with the hash its manifest gave it (if any)."""

    text: str
    source: str
    declared_hash: str | None = None


class DocumentFileError(Exception):
    """Documents that cannot be registered; `problems` has one line per file or document."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def read_document_files(paths: Sequence[Path]) -> list[FoundDocument]:
    """The documents of `paths`: `.graphql`/`.gql` files (one document each, searched
    recursively in folders) and JSON manifests (Apollo's persisted-query-manifest.json, or an
    object of hash to text). Raises DocumentFileError listing every unreadable file."""
    found: list[FoundDocument] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES
            )
            if not files:
                problems.append(f"{path}: no .graphql or .gql files in this folder")
        elif path.is_file():
            files = [path]
        else:
            problems.append(f"{path}: no such file or folder")
            continue
        for file in files:
            try:
                text = file.read_text(encoding="utf-8")
                if file.suffix.lower() == ".json":
                    found.extend(_manifest_documents(file, text))
                else:
                    found.append(FoundDocument(text, str(file)))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                problems.append(f"{file}: {exc}")
    if problems:
        raise DocumentFileError(problems)
    return found


def _manifest_documents(file: Path, text: str) -> list[FoundDocument]:
    """The documents of a JSON manifest; ValueError when it is neither kind."""
    manifest = json.loads(text)
    if isinstance(manifest, dict) and isinstance(manifest.get("operations"), list):
        documents = []
        for index, operation in enumerate(manifest["operations"]):
            if not isinstance(operation, dict) or not isinstance(operation.get("body"), str):
                raise ValueError(f"operations[{index}] has no `body` string")
            declared = operation.get("id")
            name = operation.get("name") or declared or index
            documents.append(
                FoundDocument(
                    operation["body"],
                    f"{file}#{name}",
                    declared if isinstance(declared, str) else None,
                )
            )
        return documents
    if isinstance(manifest, dict) and all(isinstance(v, str) for v in manifest.values()):
        return [FoundDocument(body, f"{file}#{key}", key) for key, body in manifest.items()]
    raise ValueError(
        'not a persisted-query manifest: {"operations": [{"id", "name", "body"}]} '
        'or {"<sha256>": "<document>"}'
    )


def _located(error: GraphQLError) -> str:
    """An error message with the line and column it points at, if any."""
    if error.locations:
        location = error.locations[0]
        return f"line {location.line}, column {location.column}: {error.message}"
    return error.message


def documents_to_register(
    found: Sequence[FoundDocument], schema: GraphQLSchema, settings: Settings
) -> list[DocumentToRegister]:
    """Check every document as a request's would be (length, limits, validation) and that a
    manifest's hash is its text's; raises DocumentFileError listing every problem."""
    checker = DocumentCache(schema, settings)
    documents: list[DocumentToRegister] = []
    problems: list[str] = []
    for item in found:
        reason = bad_string(item.text)
        if reason is not None:
            problems.append(f"{item.source}: the document {reason}")
            continue
        if len(item.text) > settings.max_query_length:
            problems.append(
                f"{item.source}: longer than {settings.max_query_length} characters "
                "(WALLCHART_MAX_QUERY_LENGTH)"
            )
            continue
        if item.declared_hash is not None and item.declared_hash != document_hash(item.text):
            problems.append(f"{item.source}: {item.declared_hash} is not the SHA-256 of its body")
            continue
        prepared = checker.prepare(item.text)
        if prepared.errors or prepared.document is None:
            problems.extend(f"{item.source}: {_located(error)}" for error in prepared.errors)
            continue
        names = tuple(
            definition.name.value if definition.name else "(anonymous)"
            for definition in prepared.document.definitions
            if isinstance(definition, OperationDefinitionNode)
        )
        documents.append(DocumentToRegister(item.text, names, item.source))
    if problems:
        raise DocumentFileError(problems)
    return documents


def registration_lines(outcomes: Sequence[Registration]) -> list[str]:
    """What `register-queries` prints: one line per document, then the counts."""
    lines = [
        f"{'added' if outcome.added else 'already':<8} {outcome.document.sha256}  "
        f"{','.join(outcome.document.operation_names)}  {outcome.document.source}"
        for outcome in outcomes
    ]
    added = sum(outcome.added for outcome in outcomes)
    lines.append(f"registered {added} new, {len(outcomes) - added} already registered")
    return lines
