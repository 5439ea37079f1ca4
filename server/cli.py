"""Command line: python -m server serve | migrate | seed-demo | seed-scale | create-user |
reset-password | disable-user | list-users | …"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import logging
import os
import sys
import time
from pathlib import Path

from tortoise.transactions import in_transaction

from schema import build_schema
from server import backup, serving
from server.api.graphiql import fetch_assets
from server.api.persisted_queries import (
    DocumentFileError,
    documents_to_register,
    read_document_files,
    registration_lines,
)
from server.db import apply_migrations, close_db, init_db, make_migrations
from server.demo import DEMO_USERS, is_empty, seed_demo
from server.demo.scale import seed_scale
from server.domain import passwords, people, persisted_queries, sessions, snapshots
from server.domain.accounts import create_user, hash_password
from server.domain.clock import zone_today
from server.domain.errors import Refused
from server.domain.models import Role, User
from server.settings import Settings, SettingsError, unknown_variables
from server.telemetry.logs import SERVICE_LOGGER, configure_logging

SCHEMA_FILE = Path("schema/schema.graphql")


def _settings() -> Settings:
    for warning in unknown_variables(os.environ):
        print(warning, file=sys.stderr)
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
        if await people.username_taken(args.username):
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


def _read_password(username: str) -> str:
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            sys.exit("wallchart: the passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        passwords.check_new_password(password, username, ("password",))
    except Refused as exc:
        sys.exit(f"wallchart: {exc.problems[0].message}")
    return password


async def _existing_user(username: str) -> User:
    """The user of this exact username; exits with a message when there is none."""
    user = await User.get_or_none(username=username)
    if user is None:
        sys.exit(f"wallchart: no user {username!r}")
    return user


async def _reset_password(settings: Settings, username: str) -> str:
    """Reset a user's password to a temporary one (returned) and end their sessions."""
    password = passwords.temporary_password()
    password_hash = await asyncio.to_thread(hash_password, password)
    await init_db(settings)
    try:
        user = await _existing_user(username)
        async with in_transaction():
            await people.reset_password(None, user.id, password_hash)
    finally:
        await close_db()
    return password


async def _disable_user(settings: Settings, username: str) -> None:
    """Disable a user and end their sessions (never the last active administrator)."""
    await init_db(settings)
    try:
        user = await _existing_user(username)
        try:
            async with in_transaction():
                await people.update_user(None, user.id, people.UserChanges(is_active=False))
        except Refused as exc:
            sys.exit(f"wallchart: {exc.problems[0].message}")
    finally:
        await close_db()


async def _list_users(settings: Settings) -> list[str]:
    """One line per user: username, role, active or disabled, live sessions, unit, name."""
    await init_db(settings)
    try:
        found = await people.user_list(people.UserFilter())
        live = await sessions.live_sessions_of(user.id for user in found)
    finally:
        await close_db()
    lines = []
    for user in found:
        state = "active" if user.is_active else "disabled"
        if user.must_change_password:
            state += ", must change password"
        lines.append(
            f"{user.username:<20} {user.role.value:<13} {state:<32} "
            f"sessions {len(live.get(user.id, [])):<3} {user.unit or '-'}  {user.display_name}"
        )
    return lines


def _day_argument(text: str) -> dt.date:
    """A --date/--from/--to value: an ISO calendar date."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


async def _snapshot_board(settings: Settings, args: argparse.Namespace) -> list[str]:
    """Write the board's missing lines for a day or a range; what was written and what not."""
    today = zone_today(settings.zone)
    if (args.start is None) != (args.end is None) or (args.start and args.date):
        sys.exit("wallchart: give --date, or both --from and --to")
    start = args.start or args.date or today - dt.timedelta(days=1)
    end = args.end or start
    await init_db(settings)
    try:
        report = await snapshots.snapshot_range(start, end, settings, today=today)
    except ValueError as exc:
        sys.exit(f"wallchart: {exc}")
    finally:
        await close_db()
    lines = [f"{day.isoformat()}: wrote {n} lines" for day, n in report.written.items()]
    lines.append(f"written {report.total_written}, already there {report.kept}")
    for gap in report.gaps:
        lines.append(
            f"  {gap.project_code} {gap.first.isoformat()}..{gap.last.isoformat()}: {gap.reason}"
        )
    return lines


async def _register_queries(settings: Settings, paths: list[Path]) -> list[str]:
    """Check every document of `paths` against the schema and the limits, then register them
    all in one transaction; nothing is registered when one is refused."""
    try:
        found = read_document_files(paths)
        documents = documents_to_register(found, build_schema().graphql_schema, settings)
    except DocumentFileError as exc:
        sys.exit("wallchart: nothing registered:\n" + "\n".join(exc.problems))
    await init_db(settings)
    try:
        return registration_lines(await persisted_queries.register(documents))
    finally:
        await close_db()


async def _list_queries(settings: Settings) -> list[str]:
    """One line per registered document: hash, when, operations, where it came from."""
    await init_db(settings)
    try:
        rows = await persisted_queries.registered_documents()
    finally:
        await close_db()
    return [
        f"{row.sha256}  {row.registered_at:%Y-%m-%d %H:%M}  {row.operation_names}  {row.source}"
        for row in rows
    ] or ["no registered documents"]


async def _unregister_queries(settings: Settings, hashes: list[str]) -> list[str]:
    """Remove registered documents by hash; running workers forget them when restarted."""
    wanted = [value.lower() for value in hashes]
    bad = [value for value in wanted if not persisted_queries.is_document_hash(value)]
    if bad:
        sys.exit(f"wallchart: not a SHA-256 (64 hexadecimal digits): {', '.join(bad)}")
    await init_db(settings)
    try:
        removed = await persisted_queries.unregister(wanted)
    finally:
        await close_db()
    lines = [f"removed {value}" for value in removed]
    lines += [f"not registered {value}" for value in sorted(set(wanted) - set(removed))]
    lines.append("running workers forget removed documents when they restart")
    return lines


def print_schema() -> str:
    """The SDL of the schema, as kept in schema/schema.graphql."""
    return str(build_schema()).rstrip() + "\n"


def main(argv: list[str] | None = None) -> None:
    """Run one command of the command line."""
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, seed demo data if empty, and serve")
    serve.add_argument("--no-demo", action="store_true", help="do not seed an empty database")
    serve.add_argument(
        "--workers", type=int, help="worker processes (default: WALLCHART_WORKERS, else 1)"
    )
    commands.add_parser("migrate", help="apply the committed migrations")
    commands.add_parser("makemigrations", help="write a migration for changed models")
    commands.add_parser("seed-demo", help="create the demo accounts and data (idempotent)")
    create = commands.add_parser("create-user", help="create a user; password from stdin")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--unit")
    create.add_argument("--display-name")
    reset = commands.add_parser(
        "reset-password", help="give a user a temporary password and end their sessions"
    )
    reset.add_argument("username")
    disable = commands.add_parser("disable-user", help="disable a user and end their sessions")
    disable.add_argument("username")
    commands.add_parser("list-users", help="list the users, their roles and sessions")
    schema_cmd = commands.add_parser("print-schema", help="print the GraphQL SDL")
    schema_cmd.add_argument("--write", action="store_true", help=f"write it to {SCHEMA_FILE}")
    commands.add_parser("fetch-graphiql", help="fetch the GraphiQL assets with npm")
    scale = commands.add_parser("seed-scale", help="fill an empty database with a zone's data")
    scale.add_argument("--projects", type=int, default=10_000, help="how many projects")
    scale.add_argument("--seed", type=int, default=1, help="random seed")
    backup_cmd = commands.add_parser("backup", help="write the database and media to one archive")
    backup_cmd.add_argument("dest", help="archive to write (.tar.gz), or a folder for a dated one")
    board_cmd = commands.add_parser(
        "snapshot-board", help="write the board's daily lines (default: yesterday), idempotent"
    )
    board_cmd.add_argument("--date", type=_day_argument, help="the day to write (YYYY-MM-DD)")
    board_cmd.add_argument("--from", dest="start", type=_day_argument, help="first day to fill")
    board_cmd.add_argument("--to", dest="end", type=_day_argument, help="last day to fill")
    register_cmd = commands.add_parser(
        "register-queries", help="register GraphQL documents (the allow-list), idempotent"
    )
    register_cmd.add_argument(
        "paths", nargs="+", type=Path, help=".graphql/.gql files, folders, JSON manifests"
    )
    commands.add_parser("list-queries", help="list the registered GraphQL documents")
    unregister_cmd = commands.add_parser(
        "unregister-queries", help="remove registered GraphQL documents by SHA-256"
    )
    unregister_cmd.add_argument("hashes", nargs="+", help="SHA-256 of each document")
    restore_cmd = commands.add_parser("restore", help="restore a backup archive, then migrate")
    restore_cmd.add_argument("source", help="archive written by `backup`")
    restore_cmd.add_argument("--force", action="store_true", help="replace a non-empty database")
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
        asyncio.run(_create_user(settings, args, _read_password(args.username)))
        print(f"created {args.username}")
    elif args.command == "reset-password":
        password = asyncio.run(_reset_password(settings, args.username))
        print(f"temporary password for {args.username} (shown once): {password}")
        print("It must be changed at the next sign-in; the user's sessions have ended.")
    elif args.command == "disable-user":
        asyncio.run(_disable_user(settings, args.username))
        print(f"disabled {args.username}; their sessions have ended")
    elif args.command == "list-users":
        print("\n".join(asyncio.run(_list_users(settings))))
    elif args.command == "seed-scale":
        asyncio.run(_seed_scale(settings, args.projects, args.seed))
    elif args.command == "snapshot-board":
        print("\n".join(asyncio.run(_snapshot_board(settings, args))))
    elif args.command == "register-queries":
        print("\n".join(asyncio.run(_register_queries(settings, args.paths))))
    elif args.command == "list-queries":
        print("\n".join(asyncio.run(_list_queries(settings))))
    elif args.command == "unregister-queries":
        print("\n".join(asyncio.run(_unregister_queries(settings, args.hashes))))
    elif args.command in ("backup", "restore"):
        backup.run(settings, args)
    elif args.command == "serve":
        workers = settings.workers if args.workers is None else args.workers
        if workers < 1:
            sys.exit("wallchart: the number of workers must be at least 1")
        _serve(settings, seed=not args.no_demo, workers=workers)


def _serve(settings: Settings, *, seed: bool, workers: int) -> None:
    """Bind the port (a port in use stops here), migrate, seed an empty database unless told
    not to, say where the data is, print the banner, and serve until stopped."""
    listener = serving.bind_listener(settings)
    configure_logging(settings)
    asyncio.run(apply_migrations(settings))
    logging.getLogger(SERVICE_LOGGER).info("migrations applied")
    if seed and asyncio.run(_seed_demo(settings, only_if_empty=True)):
        print("Seeded demo data into the empty database.")
    serving.prepare_metrics_dir(settings, workers)
    print("\n".join(serving.where_lines(settings, workers)))
    url = f"http://{settings.host}:{settings.port}/graphql"
    print(f"wallchart serving on {url}  (GraphiQL: open it in a browser)")
    if seed:
        print(f"Demo sign-ins (password {settings.demo_password!r}):")
        for username, role, _, _ in DEMO_USERS:
            print(f"  {username:<12} {role.value}")
    sys.stdout.flush()
    serving.serve(settings, listener, workers)


if __name__ == "__main__":
    main()
