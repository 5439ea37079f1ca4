"""Property-based fuzzing of every root field of Query and Mutation, through the HTTP endpoint.

Whatever a client sends, no answer is a 5xx and no error has `extensions.code` INTERNAL.
Documents come from hypothesis-graphql (valid documents with literal arguments, and NEGATIVE
ones that break the schema in one place) and from a generator of our own that passes every
argument as a variable with hostile values: wrong types, NUL, lone surrogates, huge numbers
and strings, negative numbers, other users' and other types' IDs, over-long lists.
`uploadPhoto` is also sent as a real multipart upload of a real photo with hostile fields.

Each example sends one document per root field, so every root field is fuzzed in every
example, as OFFICE and as the SITE_MANAGER of one project (with a foreign project beside it).
Runs are derandomised: the same documents every time. The counts of documents sent are
printed per role and kind (`pytest -s tests/test_fuzz.py`).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import random
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import graphql
import httpx
import pytest
from graphql_relay import from_global_id
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, mutations, nodes, queries

from schema import build_schema
from schema.relay import global_id
from server.domain.accounts import token_digest
from server.domain.clock import utc_now
from server.domain.models import AuthToken, Role, Severity
from server.domain.notifications import notify
from tests import factories
from tests.conftest import Account, MakeAccount
from tests.images import exif_block, jpeg_bytes
from tests.uploads import PREFLIGHT, upload_photo

# Hypothesis warns when it shows the (recursive) strategies of big input types.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

SCHEMA = build_schema().graphql_schema
QUERY_TYPE, MUTATION_TYPE = SCHEMA.query_type, SCHEMA.mutation_type
assert QUERY_TYPE is not None and MUTATION_TYPE is not None
# Signing in hashes a password (a tenth of a second): it has a test of its own.
SLOW_FIELDS = frozenset({"login"})
QUERY_FIELDS = sorted(QUERY_TYPE.fields)
MUTATION_FIELDS = sorted(set(MUTATION_TYPE.fields) - SLOW_FIELDS)
ROLES = ("OFFICE", "SITE_MANAGER")
PHOTO = jpeg_bytes((64, 48), exif_block(taken="2020:02:20 09:15:00", gps=(31.2, 121.4)))

FUZZ_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
    # The failing document and answer are in the assertion message; shrinking batches of
    # documents against a database would take minutes.
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    report_multiple_bugs=False,
)


# --- the world the documents run against -------------------------------------------------


@dataclass
class World:
    """Accounts, and the global IDs of every object: the viewer's own and foreign ones."""

    accounts: dict[str, Account]
    ids: list[str]
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    fields: Counter[str] = field(default_factory=Counter)
    expected: set[str] = field(default_factory=set)
    strategies: dict[str, st.SearchStrategy[Any]] = field(default_factory=dict)


async def _project_objects(project: Any, manager: Account, supervisor: Account) -> list[str]:
    """A phase, three linked milestones, a task sheet, a ticket and a review on `project`."""
    today = dt.date.today()
    phase = await factories.phase(project)
    overdue = await factories.milestone(project, today - dt.timedelta(days=12), title="开工")
    soon = await factories.milestone(project, today + dt.timedelta(days=5), title="封顶")
    done = await factories.milestone(project, today - dt.timedelta(days=40), done_on=today)
    await factories.link(overdue, soon, lag=3)
    sheet = await factories.task_sheet(project, today.year, items=("完成桩基", "主体封顶"))
    ticket = await factories.ticket(project, manager.user, Severity.HIGH)
    review = await factories.review(overdue, supervisor.user, today + dt.timedelta(days=2))
    return [
        global_id("Project", project.id),
        global_id("Phase", phase.id),
        *(global_id("Milestone", m.id) for m in (overdue, soon, done)),
        global_id("TaskSheet", sheet.id),
        global_id("ShortageTicket", ticket.id),
        global_id("SupervisionReview", review.id),
    ]


async def build_world(
    client: httpx.AsyncClient, make_account: MakeAccount, office: Account, manager: Account
) -> World:
    """Two projects of one programme: the site manager's own, and a foreign one."""
    supervisor = await make_account(Role.SUPERVISOR, "fuzz-supervisor")
    stranger = await make_account(Role.SITE_MANAGER, "fuzz-stranger")
    programme = await factories.programme()
    own = await factories.project(
        programmes=(programme,), latitude=31.2, longitude=121.4, site_radius_meters=500
    )
    foreign = await factories.project(programmes=(programme,))
    await own.site_managers.add(manager.user)
    await foreign.site_managers.add(stranger.user)
    ids = [global_id("Programme", programme.id)]
    ids += await _project_objects(own, manager, supervisor)
    ids += await _project_objects(foreign, stranger, supervisor)
    notes = await notify([manager.user, office.user, stranger.user], "FUZZ", "测试通知")
    ids += [global_id("Notification", note.id) for note in notes]
    ids += [global_id("User", a.user.id) for a in (office, manager, supervisor, stranger)]
    photo = await upload_photo(client, manager, PHOTO, projectId=global_id("Project", own.id))
    ids.append(photo["photo"]["id"])
    return World({"OFFICE": office, "SITE_MANAGER": manager}, ids)


@pytest.fixture
async def world(
    client: httpx.AsyncClient, make_account: MakeAccount, office: Account, site_manager: Account
) -> AsyncIterator[World]:
    """The fuzzed world. Afterwards: every root field the test meant to fuzz was sent, and
    the counts of documents and answers are printed."""
    built = await build_world(client, make_account, office, site_manager)
    yield built
    sent, statuses = dict(sorted(built.sent.items())), dict(sorted(built.statuses.items()))
    print(f"\nfuzz documents sent: {sent}, answered: {statuses}")
    assert built.expected <= set(built.fields), built.expected - set(built.fields)


# --- sending documents ------------------------------------------------------------------


async def fresh_token(account: Account) -> dict[str, str]:
    """Headers with a new token of `account`'s user (for documents that sign out)."""
    token = secrets.token_urlsafe(24)
    await AuthToken.create(
        user=account.user,
        token_hash=token_digest(token),
        expires_at=utc_now() + dt.timedelta(hours=1),
    )
    return {"Authorization": f"Bearer {token}"}


def assert_handled(world: World, response: httpx.Response, sent: Any) -> None:
    """No 5xx and no INTERNAL error; the message carries what was sent and answered."""
    world.statuses[response.status_code] += 1
    report = f"sent: {sent!r}\nanswer {response.status_code}: {response.text[:2000]}"
    assert response.status_code < 500, report
    try:
        body = response.json()
    except ValueError:
        return  # not JSON, and not a server error: a refusal at the HTTP edge
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors or ():
        assert (error.get("extensions") or {}).get("code") != "INTERNAL", report


async def send(
    client: httpx.AsyncClient,
    world: World,
    role: str | None,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    field: str,
    kind: str,
) -> None:
    """POST one document as JSON (lone surrogates escaped, as JSON allows) and check it."""
    account = world.accounts[role] if role else None
    headers = {"content-type": "application/json"}
    if account is not None:
        signs_out = "logout" in document
        headers.update(await fresh_token(account) if signs_out else account.headers)
    body = json.dumps({"query": document, "variables": expand(variables)})
    response = await client.post("/graphql", content=body, headers=headers)
    world.sent[f"{role}:{kind}"] += 1
    world.fields[f"{kind}:{field}"] += 1
    assert_handled(world, response, {"query": document, "variables": variables})


async def send_upload(
    client: httpx.AsyncClient, world: World, role: str, document: str, variables: dict[str, Any]
) -> None:
    """POST `uploadPhoto` as a multipart request with a real photo in `input.file`."""
    operations = json.dumps({"query": document, "variables": expand(variables)})
    response = await client.post(
        "/graphql",
        data={"operations": operations, "map": json.dumps({"0": ["variables.input.file"]})},
        files={"0": ("IMG_0001.jpg", PHOTO, "image/jpeg")},
        headers={**PREFLIGHT, **world.accounts[role].headers},
    )
    world.sent[f"{role}:upload"] += 1
    world.fields["variables:uploadPhoto"] += 1
    assert_handled(world, response, operations)


# --- values: what clients send, at the edge, hostile ----------------------------------------
#
# Values are drawn with a `random.Random` that Hypothesis seeds (`st.randoms()`): choices are
# uniform, so every edge value turns up, where Hypothesis' own strategies favour the first.

BAD_DATES = ("0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01", "2020-02-30", "yesterday")
BAD_DECIMALS = (
    *("1e400", "-1e400", "NaN", "Infinity", "1.2345", "123456789012", "１２", ""),
    *("0E+999999999", "-0E+999999999", "0E-999999999", "1E-999999999", "1E+11", "1E-21"),
)
NAMED_BOUNDS = (-1, 101, 2**31 - 1, -(2**31))
KNOWN_TEXT = ("1090", "2020", "金山桥街道", "经开区建设局", "钢筋工", "t", "")
LETTERS = "abcxyzABC019 工程项目街道局-_%"
OFFSETS = ("+08:00", "Z", "-12:00", "+14:00")
# What clients send for integer arguments and input fields (others: 0 to 30).
INT_RANGES = {
    "year": (2019, 2022),
    "sequence": (1, 5),
    "headcount": (1, 50),
    "siteRadiusMeters": (0, 1000),
    "satisfaction": (1, 5),
}


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


# Strings that look like what the service hands out, pointing where it never would.
CRAFTED = (
    *(_cursor(f"offset:{n}") for n in ("-5", "10000000", "9" * 5000)),
    _cursor("overdue:0001-01-01:1:1"),
    _cursor(f"overdue:2020-01-01:{2**31}:1"),
)
MADE_UP_IDS = (
    global_id("Project", 2**31),
    global_id("Project", 2**63),
    global_id("Milestone", -1),
    global_id("Project", 0),
    global_id("Nope", 1),
    "not base64!",
    "",
)


@dataclass(frozen=True)
class Repeated:
    """A list of `times` copies of `value`, or with `text` a string of `times` copies of it:
    built only when sent, so Hypothesis keeps and shows the short form."""

    value: Any
    times: int
    text: bool = False

    def expand(self) -> Any:
        """The long string or list itself."""
        if self.text:
            return self.value * self.times
        return [expand(self.value)] * self.times


def expand(value: Any) -> Any:
    """`value` with every Repeated in it built."""
    if isinstance(value, Repeated):
        return value.expand()
    if isinstance(value, dict):
        return {key: expand(item) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item) for item in value]
    return value


LONG_TEXTS = (Repeated("字", 300, text=True), Repeated("长", 50_000, text=True))
HOSTILE = ("\x00", "a\x00b", "\ud800", 2**63, 10**30, 1.5, float("nan"), True, {}, [None])
# Which objects an ID argument or input field names, by its name ("projectIds" -> Project).
ID_TYPES = {
    "project": "Project",
    "milestone": "Milestone",
    "blockingMilestone": "Milestone",
    "dependsOn": "Milestone",
    "phase": "Phase",
    "review": "SupervisionReview",
    "ticket": "ShortageTicket",
    "user": "User",
    "assignee": "User",
    "siteManager": "User",
    "programme": "Programme",
    "photo": "Photo",
}


def _day(rnd: random.Random, first: int, last: int) -> dt.date:
    start = dt.date(first, 1, 1)
    return start + dt.timedelta(days=rnd.randrange((dt.date(last, 12, 31) - start).days + 1))


def client_scalar(rnd: random.Random, world: World, scalar: str, name: str) -> Any:
    """A value of `scalar` for the argument or input field `name`, as a client sends it."""
    if scalar == "Int":
        return rnd.randint(*INT_RANGES.get(name, (0, 30)))
    if scalar == "String":
        if name == "after":
            return rnd.choice((_cursor("offset:0"), _cursor("offset:1")))
        if rnd.random() < 0.5:
            return rnd.choice(KNOWN_TEXT)
        return "".join(rnd.choices(LETTERS, k=rnd.randint(1, 12)))
    if scalar == "ID":
        wanted = ID_TYPES.get(name.removesuffix("s").removesuffix("Id"))
        ids = [gid for gid in world.ids if wanted is None or from_global_id(gid).type == wanted]
        return rnd.choice(ids or world.ids)
    makers: dict[str, Callable[[], Any]] = {
        "Float": lambda: round(rnd.uniform(-90, 90), 4),
        "Boolean": lambda: rnd.random() < 0.5,
        "Date": lambda: _day(rnd, 2019, 2030).isoformat(),
        "DateTime": lambda: f"{_day(rnd, 2019, 2030)}T09:30:00{rnd.choice(OFFSETS)}",
        "Decimal": lambda: f"{rnd.randrange(10**6) / 100:.2f}",
        "Upload": lambda: None,
    }
    return makers[scalar]()


def edge_scalar(rnd: random.Random, scalar: str) -> Any:
    """A value of `scalar` that is well typed but out of range, made up or crafted."""
    choices: dict[str, tuple[Any, ...]] = {
        "Int": NAMED_BOUNDS,
        "Float": (1e308, -1e308, 91.0, -180.5),
        "String": (*CRAFTED, "", " ", *LONG_TEXTS),
        "Boolean": (True, False),
        "ID": MADE_UP_IDS,
        "Date": (*BAD_DATES, "1900-01-01", "2999-12-31"),
        "DateTime": (
            *(f"{day}T00:00:00+08:00" for day in BAD_DATES),
            "2020-02-20T09:00:00",
            "2020-02-20T09:00:00+25:00",
            "2999-12-31T23:59:59-12:00",
        ),
        "Decimal": (*BAD_DECIMALS, 10**14, -(10**14), "99999999999.999", "-0.001", "1E+10", "-0"),
        "Upload": ("file",),
    }
    return rnd.choice(choices[scalar])


# --- documents written by hypothesis-graphql ------------------------------------------------


def literal_scalars(world: World) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Custom scalar and ID literals for hypothesis-graphql: as clients write them, or at the
    edge, one time in three."""

    def literal(scalar: str) -> st.SearchStrategy[graphql.ValueNode]:
        def make(rnd: random.Random) -> graphql.ValueNode:
            if rnd.random() < 1 / 3:
                return nodes.String(edge_scalar(rnd, scalar))
            return nodes.String(client_scalar(rnd, world, scalar, ""))

        return st.randoms(use_true_random=True).map(make)

    return {name: literal(name) for name in ("Date", "DateTime", "Decimal", "ID", "Upload")}


def literal_documents(
    world: World, make: Callable[..., st.SearchStrategy[str]], fields: list[str], **options: Any
) -> dict[str, st.SearchStrategy[str]]:
    """hypothesis-graphql's documents for each root field in `fields`."""
    scalars = literal_scalars(world)
    return {f: make(SCHEMA, fields=[f], custom_scalars=scalars, **options) for f in fields}


# --- documents with every argument a variable ------------------------------------------------


def selection(type_: graphql.GraphQLOutputType, depth: int = 0) -> str:
    """Every leaf field without required arguments, and objects two levels down."""
    named = graphql.get_named_type(type_)
    if graphql.is_leaf_type(named):
        return ""
    assert isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType)
    parts = ["__typename"]
    for name, child in named.fields.items():
        if any(graphql.is_required_argument(a) for a in child.args.values()):
            continue
        if graphql.is_leaf_type(graphql.get_named_type(child.type)):
            parts.append(name)
        elif depth < 2:
            parts.append(f"{name} {selection(child.type, depth + 1)}")
    return "{ " + " ".join(parts) + " }"


def variables_document(root: graphql.GraphQLObjectType, name: str) -> str:
    """`query/mutation Fuzz($a: A, ...) { name(a: $a, ...) { ... } }`."""
    field_ = root.fields[name]
    operation = "mutation" if root is MUTATION_TYPE else "query"
    definitions = ", ".join(f"${arg}: {a.type}" for arg, a in field_.args.items())
    arguments = ", ".join(f"{arg}: ${arg}" for arg in field_.args)
    head = f"{operation} Fuzz({definitions})" if definitions else f"{operation} Fuzz"
    call = f"{name}({arguments})" if arguments else name
    return f"{head} {{ {call} {selection(field_.type)} }}"


Path = tuple[str | int, ...]


def client_value(rnd: random.Random, world: World, type_: Any, name: str) -> Any:
    """A value of an input type as a client fills it in: input objects complete, lists with
    an item or two, a nullable leaf null now and then."""
    named = graphql.get_nullable_type(type_)
    if isinstance(named, graphql.GraphQLList):
        return [client_value(rnd, world, named.of_type, name) for _ in range(rnd.randint(1, 2))]
    if isinstance(named, graphql.GraphQLInputObjectType):
        return {n: client_value(rnd, world, f.type, n) for n, f in named.fields.items()}
    if not isinstance(type_, graphql.GraphQLNonNull) and rnd.random() < 0.25:
        return None
    if isinstance(named, graphql.GraphQLEnumType):
        return rnd.choice(list(named.values))
    return client_scalar(rnd, world, named.name, name)


def replaceable(type_: Any, path: Path) -> list[tuple[Path, Any]]:
    """Every place in a value of `type_` that can be replaced: leaves and whole lists."""
    named = graphql.get_nullable_type(type_)
    if isinstance(named, graphql.GraphQLList):
        return [(path, named), *replaceable(named.of_type, (*path, 0))]
    if isinstance(named, graphql.GraphQLInputObjectType):
        return [p for n, f in named.fields.items() for p in replaceable(f.type, (*path, n))]
    return [(path, named)]


def replacement(rnd: random.Random, world: World, type_: Any) -> Any:
    """An edge value of `type_` (a long list, for a list), or one in three times a hostile
    value of any type."""
    if rnd.random() < 1 / 3:
        return rnd.choice(HOSTILE)
    if isinstance(type_, graphql.GraphQLList):
        item = client_value(
            rnd, world, graphql.GraphQLNonNull(graphql.get_nullable_type(type_.of_type)), ""
        )
        return Repeated(item, rnd.choice((150, 33_000)))
    if isinstance(type_, graphql.GraphQLEnumType):
        return "NOT_A_VALUE"
    return edge_scalar(rnd, type_.name)


def replaced(value: Any, path: Path, new: Any) -> Any:
    """A copy of `value` with the item at `path` replaced by `new`."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value.get(head), rest, new)}
    if isinstance(value, list) and value:
        return [replaced(value[0], rest, new), *value[1:]]
    return value  # a null on the way: nothing to replace


def fuzzed_variables(rnd: random.Random, world: World, root: Any, name: str) -> dict[str, Any]:
    """Variables a client would send for `name`; three times in four with one leaf (or
    list) replaced by an edge or hostile value."""
    arguments = root.fields[name].args
    variables = {arg: client_value(rnd, world, a.type, arg) for arg, a in arguments.items()}
    places = [p for arg, a in arguments.items() for p in replaceable(a.type, (arg,))]
    if places and rnd.random() < 0.75:
        path, type_ = rnd.choice(places)
        variables = replaced(variables, path, replacement(rnd, world, type_))
    return variables


ALL_FIELDS = [(QUERY_TYPE, name) for name in QUERY_FIELDS] + [
    (MUTATION_TYPE, name) for name in MUTATION_FIELDS
]
VARIABLES_DOCUMENTS = {name: variables_document(root, name) for root, name in ALL_FIELDS}
VARIABLES_LOGIN = variables_document(MUTATION_TYPE, "login")


def hostile_variables(world: World) -> dict[str, st.SearchStrategy[Any]]:
    """Fuzzed variables for each root field's document."""
    return {
        name: st.randoms(use_true_random=True).map(
            functools.partial(fuzzed_variables, world=world, root=root, name=name)
        )
        for root, name in ALL_FIELDS
    }


# --- the tests ----------------------------------------------------------------------------


def fuzz(examples: int) -> settings:
    """Derandomised settings for `examples` documents."""
    return settings(FUZZ_SETTINGS, max_examples=examples)


def one_field(
    world: World, kind: str, build: Callable[[], dict[str, st.SearchStrategy[Any]]]
) -> st.SearchStrategy[tuple[str, Any]]:
    """(root field, drawn value) for one of the fields `build()` has strategies for, chosen by
    Hypothesis (so a run is repeatable: derandomised, the same fields every time); built once
    per world and kind. The fields are recorded as expected."""
    if kind not in world.strategies:
        per_field = build()
        world.expected.update(f"{kind}:{name}" for name in per_field)
        pick = st.sampled_from(sorted(per_field))
        world.strategies[kind] = pick.flatmap(
            lambda name: per_field[name].map(functools.partial(lambda n, value: (n, value), name))
        )
    return world.strategies[kind]


@pytest.mark.parametrize("role", ROLES)
@fuzz(300)
@given(data=st.data())
async def test_valid_queries(
    client: httpx.AsyncClient, world: World, role: str, data: st.DataObject
) -> None:
    strategy = one_field(world, "query", lambda: literal_documents(world, queries, QUERY_FIELDS))
    name, document = data.draw(strategy)
    await send(client, world, role, document, field=name, kind="query")


@pytest.mark.parametrize("role", ROLES)
@fuzz(600)
@given(data=st.data())
async def test_valid_mutations(
    client: httpx.AsyncClient, world: World, role: str, data: st.DataObject
) -> None:
    strategy = one_field(
        world, "mutation", lambda: literal_documents(world, mutations, MUTATION_FIELDS)
    )
    name, document = data.draw(strategy)
    await send(client, world, role, document, field=name, kind="mutation")


WITH_ARGUMENTS = [
    name
    for root, name in ALL_FIELDS
    if root.fields[name].args and name != "uploadPhoto"  # its file cannot be written inline
]


@pytest.mark.parametrize("role", ROLES)
@fuzz(500)
@given(data=st.data())
async def test_schema_violations(
    client: httpx.AsyncClient, world: World, role: str, data: st.DataObject
) -> None:
    strategy = one_field(
        world,
        "negative",
        lambda: literal_documents(world, from_schema, WITH_ARGUMENTS, mode=Mode.NEGATIVE),
    )
    name, document = data.draw(strategy)
    await send(client, world, role, document, field=name, kind="negative")


@pytest.mark.parametrize("role", ROLES)
@fuzz(1500)
@given(data=st.data())
async def test_hostile_variables(
    client: httpx.AsyncClient, world: World, role: str, data: st.DataObject
) -> None:
    name, variables = data.draw(one_field(world, "variables", lambda: hostile_variables(world)))
    document = VARIABLES_DOCUMENTS[name]
    if name == "uploadPhoto" and isinstance(variables.get("input"), dict):
        await send_upload(client, world, role, document, variables)
    else:
        await send(client, world, role, document, variables, field=name, kind="variables")


@fuzz(40)
@given(data=st.data(), literal=st.booleans())
async def test_login(
    client: httpx.AsyncClient, world: World, data: st.DataObject, literal: bool
) -> None:
    """Signing in, anonymously: each attempt hashes a password, so fewer documents."""
    world.expected.update(("login:literal", "login:variables"))
    if literal:
        document = data.draw(literal_documents(world, mutations, ["login"])["login"])
        await send(client, world, None, document, field="literal", kind="login")
        return
    fuzzed = functools.partial(fuzzed_variables, world=world, root=MUTATION_TYPE, name="login")
    variables = data.draw(st.randoms(use_true_random=True).map(fuzzed))
    await send(client, world, None, VARIABLES_LOGIN, variables, field="variables", kind="login")
