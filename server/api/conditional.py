"""Conditional GraphQL GETs: an ETag from what an answer depends on, and 304 without running it.

A GET query's ETag is a keyed digest of what its answer depends on, known before the query runs:

- the data's version as the viewer sees it, `journal.version_seen_by()`: the newest entry of the
  change journal (which every audited change, notification, photo link and change of who sees
  what writes in the same transaction as the change itself) among those that can change the
  viewer's answers: for a site manager, their projects', their own and those of no project
  (programmes, people), so changes elsewhere in the zone leave their polls at 304; for everyone
  else, the newest entry of all (one statement either way);
- the viewer (user id and role, or anonymous): what the data looks like depends on who asks;
- the document (a digest of its text), the operation's name, the variables (canonical JSON) and
  the media type of the answer (`application/json` or `application/graphql-response+json`);
- the zone's today: health colours, overdue flags, what may still be amended change at midnight;
- for a document that can answer signed photo URLs, the URL base and the period of half the
  URLs' lifetime the request falls in (see `url_period`);
- the deployment (`deployment_key`): the code of the schema and the domain and the settings, so a
  new release or a changed setting never revalidates an answer the old one computed.

The version is read before the query runs: a change committed meanwhile may already be in the
answer under the older ETag, so the next poll answers in full again (never the other way round:
on PostgreSQL the journal's commit order makes an entry visible only with the change it notes).

The ETag is weak (`W/"…"`): it names what the answer means, not its bytes. The same answer
gzipped (`server.api.middleware`) is another representation of it (RFC 9110 8.8.3), and two
answers under one ETag may differ in the expiry of their photo URLs; weak comparison is what
If-None-Match uses, so a client revalidates with the ETag it got whatever the encoding.

Documents that read something the journal does not version get no ETag (`UNVERSIONED_FIELDS`,
`UNVERSIONED_TYPES`, `LIVE_UNLESS_ARGUMENT`, `NODE_FIELDS`); mutations and POST requests never
have one. An answer with errors is sent without an ETag either. The answers of GET queries say
`Cache-Control: private, no-cache` (the viewer's own answer: no shared cache; a phone may keep
it but asks each time) with an ETag, `private, no-store` without.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    ValueNode,
    get_named_type,
    value_from_ast_untyped,
)
from starlette.requests import Request
from starlette.responses import Response

import schema as schema_package
from schema.relay import split_global_id
from server import domain as domain_package
from server.api.documents import PreparedDocument
from server.api.json_response import prefers_graphql_response
from server.domain import journal
from server.domain.clock import utc_now, zone_today
from server.domain.models import User
from server.settings import Settings
from server.telemetry import requests

ETAG_FORMAT = b"wallchart-etag-1"
"""Changes every ETag when what goes into them changes."""

WITH_ETAG = "private, no-cache"
"""Cache-Control of a GET answer with an ETag: the viewer's own, kept only to be revalidated."""
WITHOUT_ETAG = "private, no-store"
"""Cache-Control of a GET answer without one (unversioned document, errors): not to be kept."""

MAX_IF_NONE_MATCH_CHARS = 8192
"""A longer If-None-Match is ignored (answered in full): no client keeps that many ETags."""
_ENTITY_TAG = re.compile(r'(?:W/)?"([^"]*)"')

UNVERSIONED_FIELDS: dict[tuple[str, str], str] = {
    ("Query", "auditLog"): "failed sign-ins are written to the audit log without a journal entry",
    ("Query", "boardChanges"): "read from the daily snapshots, written by the nightly job",
    ("Project", "healthHistory"): "read from the daily snapshots, written by the nightly job",
    ("User", "sessions"): "sign-ins note their last use without a journal entry, and expire",
    ("Query", "users"): "accounts created from the command line (create-user) are not journaled",
}
"""Fields (type, field) whose answers change without a new journal entry, with the reason."""

UNVERSIONED_TYPES: dict[str, str] = {
    "Session": "sign-ins note their last use without a journal entry, and expire",
    "AuditEntry": "failed sign-ins are written to the audit log without a journal entry",
}
"""Types any field of which (through `node(id:)` too) makes a document unversioned."""

LIVE_UNLESS_ARGUMENT: dict[tuple[str, str], str] = {
    ("Query", "projects"): "asOf",
    ("Programme", "stats"): "asOf",
}
"""Fields that read the daily snapshots when this argument names a past day: versioned only
when the argument is absent, null or today (the live board)."""

NODE_FIELDS: dict[tuple[str, str], str] = {("Query", "node"): "id", ("Query", "nodes"): "ids"}
"""Fields that answer any type by global ID: versioned only when no ID names a type of
`UNVERSIONED_TYPES` (checked per request: IDs are usually variables)."""

PHOTO_URL_FIELDS: frozenset[tuple[str, str]] = frozenset({("Photo", "url")})
"""Fields answering signed photo URLs, which expire (`server.domain.photos.signed_file_url`)."""


@dataclass(frozen=True)
class ArgumentCheck:
    """An argument whose value, known per request, decides whether the answer is versioned."""

    kind: str
    """`live` (LIVE_UNLESS_ARGUMENT) or `node_ids` (NODE_FIELDS)."""
    value: ValueNode


@dataclass(frozen=True)
class Dependence:
    """What one operation's answer depends on besides the version, the viewer and the day."""

    document_digest: bytes
    """The SHA-256 of the document text, in hex."""
    unversioned: str | None
    """Why the operation gets no ETag, or None."""
    photo_urls: bool
    checks: tuple[ArgumentCheck, ...]
    defaults: Mapping[str, Any]
    """The operation's variable defaults, for the checks."""


@dataclass(frozen=True)
class Validator:
    """The caching verdict of one GET query: its ETag, or None when it gets none."""

    etag: str | None

    def matches(self, request: Request) -> bool:
        """True when the request's If-None-Match names this ETag (weak comparison)."""
        return self.etag is not None and if_none_match_names(request, self.etag)

    def headers(self, ok: bool) -> dict[str, str]:
        """Headers of the answer: the ETag when it is sent (`ok`: without errors)."""
        if self.etag is not None and ok:
            return {"ETag": self.etag, "Cache-Control": WITH_ETAG}
        return {"Cache-Control": WITHOUT_ETAG}


def if_none_match_names(request: Request, etag: str) -> bool:
    """True when If-None-Match lists `etag`, compared weakly (RFC 9110 8.8.3.2: the opaque
    tags alone). `*` is not honoured: whether the query has an answer without errors is only
    known by running it. Unreadable or overlong values match nothing."""
    values = request.headers.getlist("if-none-match")
    if not values:
        return False
    joined = ",".join(values)
    if len(joined) > MAX_IF_NONE_MATCH_CHARS:
        return False
    wanted = opaque_tag(etag)
    return any(found.group(1) == wanted for found in _ENTITY_TAG.finditer(joined))


def opaque_tag(etag: str) -> str:
    """The quoted part of an entity tag, without `W/` and quotes."""
    return etag.removeprefix("W/").strip('"')


def dependence(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, text: str
) -> Dependence:
    """Walk the operation's selections once (fragments too) for what its answer reads."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest().encode()
    defaults = {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    if operation.operation != OperationType.QUERY or schema.query_type is None:
        return Dependence(digest, "not a query", False, (), defaults)
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    checks: list[ArgumentCheck] = []
    photo_urls = False
    pending: list[tuple[GraphQLNamedType, SelectionSetNode]] = [
        (schema.query_type, operation.selection_set)
    ]
    spread: set[str] = set()
    while pending:
        parent, selections = pending.pop()
        for selection in selections.selections:
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = schema.get_type(condition.name.value) if condition else parent
                pending.append((inner or parent, selection.selection_set))
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None and fragment.name.value not in spread:
                    spread.add(fragment.name.value)
                    inner = schema.get_type(fragment.type_condition.name.value)
                    pending.append((inner or parent, fragment.selection_set))
                continue
            if not isinstance(selection, FieldNode):
                continue
            name = selection.name.value
            if name.startswith("__") or not isinstance(
                parent, GraphQLObjectType | GraphQLInterfaceType
            ):
                continue  # __typename and introspection: the deployment's
            key = (parent.name, name)
            reason = UNVERSIONED_TYPES.get(parent.name) or UNVERSIONED_FIELDS.get(key)
            if reason is not None:
                return Dependence(digest, f"{parent.name}.{name}: {reason}", False, (), defaults)
            photo_urls = photo_urls or key in PHOTO_URL_FIELDS
            for table, kind in ((LIVE_UNLESS_ARGUMENT, "live"), (NODE_FIELDS, "node_ids")):
                argument = _argument(selection, table.get(key))
                if argument is not None:
                    checks.append(ArgumentCheck(kind, argument))
            field = parent.fields.get(name)
            if field is not None and selection.selection_set is not None:
                pending.append((get_named_type(field.type), selection.selection_set))
    return Dependence(digest, None, photo_urls, tuple(checks), defaults)


def _argument(selection: FieldNode, name: str | None) -> ValueNode | None:
    """The value node of the field's argument `name`, if the field has it."""
    if name is None:
        return None
    for argument in selection.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


def checks_hold(found: Dependence, variables: Mapping[str, Any] | None, today_iso: str) -> bool:
    """True when every per-request condition of the operation keeps it versioned."""
    if not found.checks:
        return True
    values = {**found.defaults, **(variables or {})}
    for check in found.checks:
        value = value_from_ast_untyped(check.value, values)
        if check.kind == "live":
            if value not in (None, Undefined, today_iso):
                return False
        elif not _node_ids_versioned(value):
            return False
    return True


def _node_ids_versioned(value: Any) -> bool:
    """True when no global ID in `value` (one or a list) names an unversioned type."""
    ids = value if isinstance(value, list) else [value]
    for global_id in ids:
        if global_id is None or global_id is Undefined:
            continue
        if not isinstance(global_id, str):
            return False
        type_name, _ = split_global_id(global_id)
        if type_name in UNVERSIONED_TYPES:
            return False
    return True


def canonical_variables(variables: Mapping[str, Any] | None) -> bytes:
    """The variables as JSON with sorted keys: equal values, equal bytes."""
    if not variables:
        return b"{}"
    try:
        return orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):  # integers past 64 bits
        return json.dumps(variables, sort_keys=True, separators=(",", ":")).encode()


def url_period(settings: Settings, now: float) -> int:
    """The period of half the photo URL lifetime that `now` (seconds) falls in.

    An answer with photo URLs revalidates only within the period it was made in, so the URLs
    a client keeps have at least half their lifetime left whenever it is told to keep them.
    """
    return int(now) // max(1, settings.photo_url_ttl_seconds // 2)


def deployment_key(settings: Settings) -> bytes:
    """The key of every ETag: the code of the schema and the domain, and the settings.

    A release that changes how answers are computed, or a changed setting (time zone, colour
    thresholds, secret key of the photo URLs), changes every ETag: every process with the same
    code and settings computes the same key, so any worker revalidates any other's ETags.
    """
    digest = hashlib.sha256(ETAG_FORMAT)
    for package in (schema_package, domain_package):
        root = Path(package.__file__).parent
        for path in sorted(root.rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    digest.update(repr(settings).encode())
    return digest.digest()


class ConditionalGets:
    """Computes the ETags of GET queries and answers 304 when the client's is current."""

    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self.schema = schema
        self.settings = settings
        self.key = deployment_key(settings)

    async def validator(
        self,
        request: Request,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        text: str,
        variables: Mapping[str, Any] | None,
        user: User | None,
    ) -> Validator:
        """The verdict for a GET of this operation of the valid document `prepared` (whose
        text is `text`); reads the journal's version when the operation is versioned."""
        name = operation.name.value if operation.name else None
        found = prepared.dependences.get(name)
        if found is None:
            assert prepared.document is not None
            found = dependence(self.schema, prepared.document, operation, text)
            prepared.dependences[name] = found
        if found.unversioned is not None:
            return Validator(None)
        today = zone_today(self.settings.zone).isoformat()
        if not checks_hold(found, variables, today):
            return Validator(None)
        parts = [
            str(await journal.version_seen_by(user)).encode(),
            b"-" if user is None else f"{user.id}:{user.role.value}".encode(),
            found.document_digest,
            (name or "").encode(),
            canonical_variables(variables),
            b"g" if prefers_graphql_response(request.headers.get("accept", "")) else b"j",
            today.encode(),
        ]
        if found.photo_urls:
            period = url_period(self.settings, utc_now().timestamp())
            parts += [str(request.base_url).encode(), str(period).encode()]
        tag = hmac.new(self.key, b"\x00".join(parts), hashlib.sha256).hexdigest()[:32]
        return Validator(f'W/"{tag}"')


def answer_headers(validator: Validator | None, ok: bool) -> dict[str, str] | None:
    """The caching headers of an answer: none for a POST, else the validator's."""
    return None if validator is None else validator.headers(ok)


def not_modified(validator: Validator) -> Response:
    """304 Not Modified with the ETag and Cache-Control of the answer the client keeps."""
    facts = requests.current()
    if facts is not None:
        facts.outcome = "not_modified"
    return Response(status_code=304, headers=validator.headers(ok=True))
