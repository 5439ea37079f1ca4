"""Command line: python -m server serve | migrate | seed-demo | seed-scale | create-user | …"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from pathlib import Path

import uvicorn

from schema import build_schema
from server.api.app import create_app
from server.api.graphiql import fetch_assets
from server.db import apply_migrations, close_db, init_db, make_migrations
from server.demo import DEMO_USERS, is_empty, seed_demo
from server.demo.scale import seed_scale
from server.domain.accounts import create_user
from server.domain.models import Role, User
from server.settings import Settings, SettingsError

SCHEMA_FILE = Path("schema/schema.graphql")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        sys.exit(f"wallchart: bad setting {exc}")


async def _seed_demo(settings: Settings, only_if_empty: bool) -> list[str]:
    await init_db(settings)
    try:
        if only_if_empty and not await is_empty():
            return []
        return await seed_demo(settings)
    finally:
        await close_db()


async def _seed_scale(settings: Settings, projects: int, seed: int) -> None:
    started = time.perf_counter()
    await apply_migrations(settings)
    await init_db(settings)
    try:
        report = await seed_scale(settings, projects, seed)
    except ValueError as exc:
        sys.exit(f"wallchart: {exc}")
    finally:
        await close_db()
    elapsed = time.perf_counter() - started
    print(
        f"seeded {report.total} rows in {elapsed:.1f}s: "
        + ", ".join(f"{name} {count}" for name, count in report.counts.items())
    )


async def _create_user(settings: Settings, args: argparse.Namespace, password: str) -> None:
    await init_db(settings)
    try:
        if await User.exists(username=args.username):
            sys.exit(f"wallchart: user {args.username!r} already exists")
        await create_user(
            args.username,
            password,
            Role(args.role),
            display_name=args.display_name,
            unit=args.unit,
        )
    finally:
        await close_db()


def _read_password() -> str:
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            sys.exit("wallchart: the passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        sys.exit("wallchart: the password must have at least 8 characters")
    return password


def print_schema() -> str:
    """The SDL of the schema, as kept in schema/schema.graphql."""
    return str(build_schema()).rstrip() + "\n"


def main(argv: list[str] | None = None) -> None:
    """Run one command of the command line."""
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, seed demo data if empty, and serve")
    serve.add_argument("--no-demo", action="store_true", help="do not seed an empty database")
    commands.add_parser("migrate", help="apply the committed migrations")
    commands.add_parser("makemigrations", help="write a migration for changed models")
    commands.add_parser("seed-demo", help="create the demo accounts and data (idempotent)")
    create = commands.add_parser("create-user", help="create a user; password from stdin")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--unit")
    create.add_argument("--display-name")
    schema_cmd = commands.add_parser("print-schema", help="print the GraphQL SDL")
    schema_cmd.add_argument("--write", action="store_true", help=f"write it to {SCHEMA_FILE}")
    commands.add_parser("fetch-graphiql", help="fetch the GraphiQL assets with npm")
    scale = commands.add_parser("seed-scale", help="fill an empty database with a zone's data")
    scale.add_argument("--projects", type=int, default=10_000, help="how many projects")
    scale.add_argument("--seed", type=int, default=1, help="random seed")
    args = parser.parse_args(argv)

    if args.command == "print-schema":
        sdl = print_schema()
        if args.write:
            SCHEMA_FILE.write_text(sdl, encoding="utf-8")
        else:
            sys.stdout.write(sdl)
        return
    if args.command == "fetch-graphiql":
        fetch_assets()
        return

    settings = _settings()
    if args.command == "migrate":
        asyncio.run(apply_migrations(settings))
    elif args.command == "makemigrations":
        for path in asyncio.run(make_migrations(settings)):
            print(f"wrote {path}")
    elif args.command == "seed-demo":
        created = asyncio.run(_seed_demo(settings, only_if_empty=False))
        print(f"seeded: {', '.join(created) or 'nothing new'}")
    elif args.command == "create-user":
        asyncio.run(_create_user(settings, args, _read_password()))
        print(f"created {args.username}")
    elif args.command == "seed-scale":
        asyncio.run(_seed_scale(settings, args.projects, args.seed))
    elif args.command == "serve":
        _serve(settings, seed=not args.no_demo)


def _serve(settings: Settings, *, seed: bool) -> None:
    asyncio.run(apply_migrations(settings))
    if seed and asyncio.run(_seed_demo(settings, only_if_empty=True)):
        print("Seeded demo data into the empty database.")
    url = f"http://{settings.host}:{settings.port}/graphql"
    print(f"wallchart serving on {url}  (GraphiQL: open it in a browser)")
    print(f"Demo sign-ins (password {settings.demo_password!r}):")
    for username, role, _, _ in DEMO_USERS:
        print(f"  {username:<12} {role.value}")
    # Client addresses behind a proxy come from WALLCHART_TRUSTED_PROXIES alone, so uvicorn
    # must not rewrite them from X-Forwarded-For itself.
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
