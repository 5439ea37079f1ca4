"""The /graphql endpoint: GET and POST over HTTP, limits, caching and error masking."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import logging
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
)
from graphql.pyutils import is_awaitable
from starlette.requests import Request
from starlette.responses import Response
from tortoise.models import Model

from media.uploads import UploadedFile, discard_files
from schema.context import RequestContext
from server.api.bearer import explain_refusal
from server.api.client_address import client_address
from server.api.conditional import ConditionalGets, Validator, answer_headers, not_modified
from server.api.documents import (
    DocumentCache,
    is_introspection_only,
    refusal,
    root_field_names,
    single_operation,
)
from server.api.execution import ExecutionContext
from server.api.graphiql import graphiql_page
from server.api.http_errors import BadRequest
from server.api.json_response import (
    GraphQLJSONResponse,
    as_graphql_response,
    prefers_graphql_response,
)
from server.api.multipart import check_csrf_header, read_multipart
from server.api.persisted_queries import (
    PersistedQueries,
    PersistedQueryExtension,
    persisted_query_extension,
)
from server.api.query_budget import BudgetExceeded
from server.api.request_body import check_declared_length, check_value, parse_json, read_limited
from server.api.slow_clients import body_chunks
from server.api.upload_slots import UploadSlots
from server.db import is_unreachable
from server.domain.access import allowed_before_password_change
from server.domain.accounts import authenticate, token_refusal
from server.domain.models import User
from server.settings import Settings
from server.telemetry import requests, tracing

logger = logging.getLogger("wallchart.graphql")

# Values resolvers return that are never awaitable.
PLAIN_TYPES = frozenset(
    {str, int, float, bool, type(None), list, dict, dt.date, dt.datetime, decimal.Decimal}
)


def resolved_value_is_awaitable(value: Any) -> bool:
    """graphql-core's awaitable test, except that ORM rows count as plain values.

    Tortoise models define `__await__` (awaiting a row yields the row), so graphql-core took
    every row a resolver returned for an awaitable and gathered it in a task of its own:
    hundreds of tasks for one home screen. Leaf values, by far the most frequent, are
    answered by their exact type first.
    """
    if type(value) in PLAIN_TYPES:
        return False
    return not isinstance(value, Model) and is_awaitable(value)


EXECUTION_OPTIONS: dict[str, Any] = {
    "is_awaitable": resolved_value_is_awaitable,
    "execution_context_class": ExecutionContext,
}
"""The options the endpoint passes to graphql-core's `execute`, beside the operation.

Each pays for itself (`python -m bench.execution_ablation`): the `is_awaitable` test saves
40-55 % of the CPU of the home screen and of an office report, the leaf short completion of
`ExecutionContext` a further ~11 % (6-18 % over five noisy runs).
"""


@dataclass
class GraphQLParams:
    """The operation a request asks for."""

    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    files: dict[str, UploadedFile] = field(default_factory=dict)
    persisted: PersistedQueryExtension | None = None
    """Apollo's persisted-query extension; with it, `query` may be empty (the hash alone)."""


def params_from_mapping(data: Any, max_json_depth: int) -> GraphQLParams:
    """Check the query/variables/operationName members of a request body or query string.

    `variables` and `extensions` sent as JSON strings are parsed and checked as a body is;
    a persisted-query extension stands for the `query` (`server.api.persisted_queries`).
    """
    if isinstance(data, list):
        raise BadRequest("Batched requests are not supported: send one operation per request.")
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    persisted = persisted_query_extension(_json_member(data, "extensions", max_json_depth))
    query = data.get("query")
    if persisted is not None and query in (None, ""):
        query = ""
    elif not isinstance(query, str) or not query.strip():
        raise BadRequest("The request has no `query` string.")
    variables = _json_member(data, "variables", max_json_depth)
    if variables is not None and not isinstance(variables, dict):
        raise BadRequest("`variables` must be an object.")
    operation_name = data.get("operationName") or None
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest("`operationName` must be a string.")
    return GraphQLParams(query, variables, operation_name, persisted=persisted)


def _json_member(data: dict[str, Any], name: str, max_json_depth: int) -> Any:
    """A member of the request; sent as a JSON string (a GET's), parsed (empty: None)."""
    value = data.get(name)
    if not isinstance(value, str):
        return value
    try:
        return parse_json(value, max_json_depth) if value else None
    except BadRequest as exc:
        raise BadRequest(f"`{name}`: {exc.message}", exc.status, exc.code) from None


async def read_params(request: Request, settings: Settings) -> GraphQLParams:
    """The GraphQL parameters of a GET query string or a JSON or multipart POST body."""
    if request.method == "GET":
        query = dict(request.query_params)
        check_value(query, settings.max_json_depth)
        return params_from_mapping(query, settings.max_json_depth)
    content_type = request_content_type(request)
    if content_type == "application/json":
        check_declared_length(request, settings.max_body_bytes)
        chunks = body_chunks(request, settings)
        async with contextlib.aclosing(chunks):
            body = await read_limited(chunks, settings.max_body_bytes)
        return params_from_mapping(
            parse_json(body, settings.max_json_depth), settings.max_json_depth
        )
    if content_type == "multipart/form-data":
        operations, files = await read_multipart(request, settings)
        try:  # `operations` was checked as a JSON body when it was read
            params = params_from_mapping(operations, settings.max_json_depth)
        except BadRequest:
            discard_files(files)
            raise
        params.files = files
        return params
    raise BadRequest(
        "Send application/json (or multipart/form-data for uploads); "
        f"got {content_type or 'no content type'}.",
        status=400,
    )


def request_content_type(request: Request) -> str:
    """The media type of the request body, lower-cased, without parameters."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def wants_html(request: Request) -> bool:
    """True for a browser navigating to the endpoint (GraphiQL), not a GraphQL GET."""
    accept = request.headers.get("accept", "")
    parameters = request.query_params
    return "text/html" in accept and "query" not in parameters and "extensions" not in parameters


_NOT_LOOKED_UP = object()

PASSWORD_CHANGE_REQUIRED = "PASSWORD_CHANGE_REQUIRED"
"""The code refusing a user who must change their password anything else."""
CHANGE_PASSWORD_FIRST = (
    "Change your password first (changePassword): until then only me and logout answer."
)

RETRY_AFTER_SECONDS = 5
"""What a client is told to wait when the database cannot be reached."""


def unavailable_response() -> Response:
    """503 with a GraphQL error: the database cannot be reached; the client may retry."""
    return GraphQLJSONResponse(
        {
            "errors": [
                {
                    "message": "The service cannot reach its database; retry shortly.",
                    "extensions": {"code": "UNAVAILABLE"},
                }
            ]
        },
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class GraphQLEndpoint:
    """Starlette handler that runs one GraphQL operation per request."""

    def __init__(self, schema: Any, settings: Settings) -> None:
        self.schema = schema
        self.settings = settings
        self.documents = DocumentCache(schema.graphql_schema, settings)
        self.conditional = ConditionalGets(schema.graphql_schema, settings)
        self.persisted = PersistedQueries(settings)
        self.upload_slots = UploadSlots.from_settings(settings)

    async def handle(self, request: Request) -> Response:
        """Answer one HTTP request to /graphql, in the media type the client prefers, telling
        a client whose token was refused why (`server.api.bearer`)."""
        response = await self.answer(request)
        explain_refusal(response, getattr(request.state, "token_refusal", None))
        if isinstance(response, GraphQLJSONResponse) and prefers_graphql_response(
            request.headers.get("accept", "")
        ):
            as_graphql_response(response)
        return response

    async def answer(self, request: Request) -> Response:
        """The answer to one HTTP request to /graphql, as `application/json`."""
        if request.method == "GET" and wants_html(request):
            return graphiql_page()
        params: GraphQLParams | None = None
        try:
            if request.method == "POST" and request_content_type(request) == "multipart/form-data":
                return await self.handle_upload(request)
            params = await read_params(request, self.settings)
            return await self.run(request, params)
        except BadRequest as exc:
            return self.error_response(exc.message, exc.status, exc.code, exc.headers)
        except Exception as exc:
            if is_unreachable(exc):
                return unavailable_response()
            raise
        finally:
            if params is not None:
                discard_files(params.files)

    async def handle_upload(self, request: Request) -> Response:
        """A multipart request: signed in, within the user's uploads at once, then read.

        Only mutations of signed-in users take files, so anyone else is refused before a byte
        of the body is read; so is a user already running as many uploads as allowed.
        """
        check_csrf_header(request)
        user = await self.viewer(request)
        if user is None:
            raise BadRequest(
                "Sign in to upload files: send Authorization: Bearer <token>.",
                401,
                "UNAUTHENTICATED",
            )
        with self.upload_slots.hold(user.id):
            params = await read_params(request, self.settings)
            try:
                return await self.run(request, params)
            finally:
                discard_files(params.files)

    async def viewer(self, request: Request) -> User | None:
        """The user the request's bearer token belongs to, looked up once per request."""
        known = getattr(request.state, "viewer", _NOT_LOOKED_UP)
        if known is not _NOT_LOOKED_UP:
            return known
        token = bearer_token(request)
        address = client_address(request, self.settings)
        user = await authenticate(token, address) if token else None
        request.state.viewer = user
        if token and user is None:
            request.state.token_refusal = await token_refusal(token)
        facts = requests.current()
        if facts is not None and user is not None:
            facts.user_id, facts.role = user.id, user.role.value
        return user

    async def run(self, request: Request, params: GraphQLParams) -> Response:
        """Resolve (`server.api.persisted_queries`), prepare, check and execute the operation
        of `params`."""
        self.check_length(params.query)
        facts = requests.current()
        if facts is not None:
            facts.outcome = "refused"
        resolved = await self.persisted.resolve(
            params.query or None, params.persisted, lambda: self.viewer(request)
        )
        if resolved.text is not params.query:
            params.query = resolved.text
            self.check_length(params.query)
        prepared = self.documents.prepare(params.query)
        if prepared.errors:
            return GraphQLJSONResponse(
                {"errors": [self.format_error(e) for e in prepared.errors]}, status_code=400
            )
        document = prepared.document
        operation = get_operation_ast(document, params.operation_name)
        if operation is None:
            message = (
                f"Unknown operation named {params.operation_name!r}."
                if params.operation_name
                else "The document has several operations: choose one with operationName."
            )
            raise BadRequest(message)
        if request.method == "GET" and operation.operation != OperationType.QUERY:
            return GraphQLJSONResponse(
                {
                    "errors": [
                        {
                            "message": "Only queries may be sent with GET; use POST.",
                            "extensions": {"code": "BAD_REQUEST"},
                        }
                    ]
                },
                status_code=405,
                headers={"Allow": "POST"},
            )
        self.persisted.learn(resolved)
        if facts is not None:
            facts.operation_type = operation.operation.value
            facts.operation_name = operation.name.value if operation.name else params.operation_name
        if params.files and operation.operation != OperationType.MUTATION:
            raise BadRequest("Only mutations may carry files.")
        user = await self.viewer(request)
        if user is not None and not allowed_before_password_change(
            user, root_field_names(document, operation)
        ):
            raise BadRequest(CHANGE_PASSWORD_FIRST, 403, PASSWORD_CHANGE_REQUIRED)
        try:
            budget = self.documents.budget(prepared, operation, params.variables)
        except BudgetExceeded as exc:
            return GraphQLJSONResponse({"errors": [refusal(exc).formatted]}, status_code=400)
        cost = {"cost": {"requested": budget.cost, "limit": self.settings.max_query_cost}}
        if facts is not None:
            facts.query_cost = budget.cost
        validator: Validator | None = None
        if request.method == "GET":  # a query: conditional (`server.api.conditional`)
            validator = await self.conditional.validator(
                request, prepared, operation, params.query, params.variables, user
            )
            if validator.matches(request):
                return not_modified(validator)
        kept = self.documents.introspection_answer(params.query)
        if kept is not None:
            if facts is not None:
                facts.outcome = "ok"
            headers = answer_headers(validator, ok=True)
            return GraphQLJSONResponse({**kept, "extensions": cost}, headers=headers)
        context = RequestContext(
            request=request,
            settings=self.settings,
            user=user,
            token=bearer_token(request),
            client_address=client_address(request, self.settings),
            files=params.files,
        )
        name = operation.name.value if operation.name else None
        with tracing.operation_span(operation.operation.value, name):
            result = execute(
                self.schema.graphql_schema,
                document,
                context_value=context,
                variable_values=params.variables,
                operation_name=params.operation_name,
                **EXECUTION_OPTIONS,
            )
            if is_awaitable(result):
                result = await result
        if any(is_unreachable(error.original_error) for error in result.errors or ()):
            return unavailable_response()
        payload, status = self.result_payload(result)
        if facts is not None:
            facts.outcome = "errors" if result.errors else "ok"
        if (
            status == 200
            and not result.errors
            and single_operation(document)
            and is_introspection_only(operation)
        ):
            self.documents.keep_introspection_answer(params.query, payload)
        headers = answer_headers(validator, ok=status == 200 and not result.errors)
        return GraphQLJSONResponse(
            {**payload, "extensions": cost}, status_code=status, headers=headers
        )

    def check_length(self, query: str) -> None:
        """Refuse (400, LIMIT) a document longer than `max_query_length`."""
        if len(query) > self.settings.max_query_length:
            raise BadRequest(
                f"Query is longer than {self.settings.max_query_length} characters "
                "(document length limit).",
                code="LIMIT",
            )

    def result_payload(self, result: ExecutionResult) -> tuple[dict[str, Any], int]:
        """JSON body and status of an execution; 400 when it did not start (bad variables).

        Errors raised while resolving fields carry a path; when there is no data and no
        error has one, the variables were refused before execution began.
        """
        payload: dict[str, Any] = {}
        not_started = bool(result.errors) and not any(e.path for e in result.errors or ())
        if result.errors:
            payload["errors"] = [
                self.format_error(e, default_code="INVALID" if not_started else None)
                for e in result.errors
            ]
        payload["data"] = result.data
        status = 400 if result.data is None and not_started else 200
        return payload, status

    def format_error(self, error: GraphQLError, default_code: str | None = None) -> dict[str, Any]:
        """The client's view of an error; unexpected exceptions are masked unless debugging."""
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError):
            logger.error(
                "Unexpected error in %s",
                error.path,
                exc_info=(type(original), original, original.__traceback__),
            )
            if not self.settings.debug:
                masked = GraphQLError(
                    "Internal error",
                    path=error.path,
                    extensions={"code": "INTERNAL"},
                )
                return masked.formatted
        formatted = error.formatted
        if default_code is not None and "code" not in (formatted.get("extensions") or {}):
            formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": default_code}
        return formatted

    @staticmethod
    def error_response(
        message: str, status: int, code: str, headers: dict[str, str] | None = None
    ) -> Response:
        """A GraphQL-shaped error body for a request that could not run."""
        return GraphQLJSONResponse(
            {"errors": [{"message": message, "extensions": {"code": code}}]},
            status_code=status,
            headers=headers,
        )
