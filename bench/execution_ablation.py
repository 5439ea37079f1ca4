"""Ablation of the execution layer: what each execution option and the JSON encoder cost.

`python -m bench.execution_ablation [--database-url URL] [--projects N] [--context NAME=PATH]`
seeds its own database once (the scale seed, reused while the seed's fingerprint holds), then
runs, in process and through the same `graphql.execute` call the /graphql endpoint makes, the site
manager's home screen and an office report, and prints the CPU time per request
(`time.process_time`, after warm-up, variants interleaved round by round; median and best
round) of each variant:

- `endpoint`: what /graphql does: on PostgreSQL, pages whose fields are covered are compiled to
  one statement building their JSON (`schema.compiled`); the rest runs with the execution
  options /graphql passes (`graphql_http.EXECUTION_OPTIONS`: the leaf short completion of
  `server.api.execution` and the endpoint's `is_awaitable`);
- `resolvers: short path`: the same with compiled pages off (as on SQLite), every field
  answered by its resolver;
- one `resolvers:` variant per `--context NAME=PATH`: the `ExecutionContext` class defined in
  that file, with the endpoint's `is_awaitable`. The short path this project had before (reading
  graphene's resolvers) is measured so: `git show 683efaf:server/api/execution.py >
  /tmp/short_path.py` then `--context "old short path=/tmp/short_path.py"`;
- `resolvers: graphql-core context`: graphql-core's own ExecutionContext with the endpoint's
  `is_awaitable`;
- `resolvers: neither`: graphql-core's own ExecutionContext and awaitable test;
- `json (Starlette)` / `orjson (endpoint)`: encoding the response body with Starlette's
  JSONResponse (json.dumps) or the endpoint's `GraphQLJSONResponse` (checked to be the same bytes).

On PostgreSQL the database's own CPU is in other processes, so the figures are the
application's alone; on SQLite the driver's thread is counted too.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import DocumentNode, ExecutionContext, ExecutionResult, execute
from starlette.responses import JSONResponse

from bench import database, queries
from schema import build_schema
from schema.context import RequestContext
from schema.scalars import set_display_zone
from server.api import graphql_http
from server.api.graphql_http import GraphQLEndpoint
from server.api.json_response import GraphQLJSONResponse
from server.db import close_db, init_db
from server.demo.scale import BUSY_SITE_MANAGER
from server.domain.models import User
from server.settings import Settings

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wallchart_ablation"
OFFICE_USER = "office_01"

OFFICE_REPORT = """
query OfficeReport($first: Int!) {
  projects(first: $first) {
    edges {
      node {
        id
        code
        name
        status
        plannedStart
        plannedFinish
        roadmap { id name sequence plannedStart plannedFinish }
        milestones(first: 50) {
          edges { node { id title plannedDate forecastDate actualDate status isOverdue } }
        }
      }
    }
  }
}
"""


@dataclass(frozen=True)
class Screen:
    """One document the ablation runs, as whom and with which variables."""

    name: str
    query: str
    username: str
    variables: dict[str, Any]


SCREENS = (
    Screen("home screen (20 projects)", queries.HOME, BUSY_SITE_MANAGER, {"first": 20}),
    Screen("office report (100 x 50)", OFFICE_REPORT, OFFICE_USER, {"first": 100}),
)

Run = Callable[[], Awaitable[Any]]


def load_context(spec: str) -> tuple[str, type[ExecutionContext]]:
    """(name, class) from `NAME=PATH`: the `ExecutionContext` class defined in the file PATH."""
    name, _, path = spec.partition("=")
    module_spec = importlib.util.spec_from_file_location(f"ablation_{len(sys.modules)}", path)
    if not name or module_spec is None or module_spec.loader is None:
        raise SystemExit(f"--context wants NAME=PATH to a Python file, got {spec!r}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module  # dataclasses look their module up while it loads
    module_spec.loader.exec_module(module)
    return name, module.ExecutionContext


@dataclass(frozen=True)
class Variant:
    """How one variant executes: `execute`'s keyword arguments, and whether pages compile."""

    options: dict[str, Any]
    compiled: bool


def execution_variants(contexts: list[str]) -> dict[str, Variant]:
    """Name -> how each variant executes.

    `endpoint` is what /graphql does (compiled pages on PostgreSQL, the leaf short path and
    the endpoint's `is_awaitable`). The `resolvers:` variants switch compiled pages off
    (`WALLCHART_COMPILED_READS=false`, or SQLite) and then: `short path` keeps the endpoint's
    execution options; each `--context` runs with its class and the endpoint's
    `is_awaitable`; `graphql-core context` keeps only the endpoint's `is_awaitable`;
    `neither` leaves graphql-core's own context and awaitable test.
    """
    awaitable = graphql_http.resolved_value_is_awaitable
    endpoint_options = dict(graphql_http.EXECUTION_OPTIONS)
    variants = {
        "endpoint": Variant(endpoint_options, True),
        "resolvers: short path": Variant(endpoint_options, False),
    }
    for spec in contexts:
        name, context_class = load_context(spec)
        options = {"execution_context_class": context_class, "is_awaitable": awaitable}
        variants[f"resolvers: {name}"] = Variant(options, False)
    variants["resolvers: graphql-core context"] = Variant({"is_awaitable": awaitable}, False)
    variants["resolvers: neither"] = Variant({}, False)
    return variants


def runner(
    endpoint: GraphQLEndpoint,
    document: DocumentNode,
    screen: Screen,
    user: User,
    variant: Variant,
) -> Run:
    """A coroutine function executing `screen` once, as a fresh request would."""
    schema = endpoint.schema.graphql_schema
    settings = dataclasses.replace(endpoint.settings, compiled_reads=variant.compiled)

    async def run() -> ExecutionResult:
        context = RequestContext(request=None, settings=settings, user=user)
        result = execute(
            schema,
            document,
            context_value=context,
            variable_values=screen.variables,
            **variant.options,
        )
        if not isinstance(result, ExecutionResult):
            result = await result
        return result

    return run


def as_json(answer: ExecutionResult) -> Any:
    """The answer's data as a client reads it (compiled pages hold ready JSON)."""
    return orjson.loads(GraphQLJSONResponse({"data": answer.data}).body)


async def cpu_ms(run: Run, requests: int) -> float:
    """CPU milliseconds per call of `run`, over `requests` calls."""
    gc.collect()
    started = time.process_time()
    for _ in range(requests):
        await run()
    return (time.process_time() - started) * 1000 / requests


async def sync_cpu_ms(run: Callable[[], Any], requests: int) -> float:
    """CPU milliseconds per call of a synchronous `run`."""
    gc.collect()
    started = time.process_time()
    for _ in range(requests):
        run()
    return (time.process_time() - started) * 1000 / requests


@dataclass(frozen=True)
class Row:
    """One line of the table: CPU ms per request over the rounds (median and best)."""

    screen: str
    variant: str
    median: float
    best: float


def summary(values: list[float]) -> tuple[float, float]:
    """(median, minimum) of per-round figures."""
    return statistics.median(values), min(values)


async def measure(
    runs: dict[str, Run], rounds: int, requests: int
) -> dict[str, tuple[float, float]]:
    """(median, best) CPU ms per request of each run, interleaved (rotated) round by round."""
    names = list(runs)
    for name in names:  # warm-up: caches, loaders' code paths, the database's buffers
        await cpu_ms(runs[name], max(2, requests // 2))
    figures: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            figures[name].append(await cpu_ms(runs[name], requests))
    return {name: summary(values) for name, values in figures.items()}


def encoders(payload: dict[str, Any]) -> dict[str, Callable[[], bytes]]:
    """Name -> a call encoding `payload` as the response body."""
    return {
        "json (Starlette)": lambda: JSONResponse(payload).body,
        "orjson (endpoint)": lambda: GraphQLJSONResponse(payload).body,
    }


async def ablate(settings: Settings, contexts: list[str], rounds: int, requests: int) -> list[Row]:
    """The figures of every screen and variant."""
    endpoint = GraphQLEndpoint(build_schema(), settings)
    rows: list[Row] = []
    for screen in SCREENS:
        user = await User.get(username=screen.username)
        prepared = endpoint.documents.prepare(screen.query)
        assert prepared.document is not None, prepared.errors
        runs = {
            name: runner(endpoint, prepared.document, screen, user, variant)
            for name, variant in execution_variants(contexts).items()
        }
        answers = {name: await run() for name, run in runs.items()}
        expected = as_json(answers["endpoint"])
        for name, answer in answers.items():
            if answer.errors or as_json(answer) != expected:
                raise RuntimeError(f"{screen.name}: {name} answers differently: {answer.errors}")
        for name, (median, best) in (await measure(runs, rounds, requests)).items():
            rows.append(Row(screen.name, name, median, best))
        # Starlette's encoder cannot write ready JSON: encode the resolvers' answer.
        payload, _ = endpoint.result_payload(answers["resolvers: short path"])
        bodies = encoders({**payload, "extensions": {"cost": {"requested": 1, "limit": 2}}})
        if len({encode() for encode in bodies.values()}) != 1:
            raise RuntimeError(f"{screen.name}: the encoders give different bytes")
        figures: dict[str, list[float]] = {name: [] for name in bodies}
        for _ in range(rounds):
            for name, encode in bodies.items():
                figures[name].append(await sync_cpu_ms(encode, requests * 5))
        for name, values in figures.items():
            rows.append(Row(screen.name, f"encode: {name}", *summary(values)))
        size = float(len(next(iter(bodies.values()))()))
        rows.append(Row(screen.name, "(body bytes)", size, size))
    return rows


def print_table(rows: list[Row]) -> None:
    """A Markdown table; ratios are to the first variant of the screen (execution or encoding)."""
    print(
        "| query | variant | CPU ms/request, median | best round | ratio (median) | ratio (best) |"
    )
    print("|---|---|---|---|---|---|")
    reference: dict[tuple[str, bool], Row] = {}
    for row in rows:
        if row.variant == "(body bytes)":
            print(f"| {row.screen} | response body: {row.median:.0f} bytes | | | | |")
            continue
        base = reference.setdefault((row.screen, row.variant.startswith("encode")), row)
        print(
            f"| {row.screen} | {row.variant} | {row.median:.3f} | {row.best:.3f} "
            f"| {row.median / base.median:.2f} | {row.best / base.best:.2f} |"
        )


async def main() -> None:
    """Seed (or reuse) the database, run the ablation, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("WALLCHART_ABLATION_URL", DEFAULT_URL)
    )
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20, help="requests per round")
    parser.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="also run with the ExecutionContext class of this file (repeatable)",
    )
    args = parser.parse_args()
    settings = Settings.from_env(
        {}, database_url=args.database_url, secret_key="execution-ablation"
    )
    set_display_zone(settings.zone)
    prepared = await database.prepare(settings, args.projects)
    print(f"database {'reused' if prepared.reused else 'seeded'} in {prepared.seconds:.1f} s")
    await init_db(settings)
    try:
        rows = await ablate(settings, args.context, args.rounds, args.requests)
    finally:
        await close_db()
    print_table(rows)


if __name__ == "__main__":
    asyncio.run(main())
