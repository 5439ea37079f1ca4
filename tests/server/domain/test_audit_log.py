"""The audit log called directly: nothing secret is written, failed sign-ins are recorded,
and reading it filters, orders and hides what the viewer may not read."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.domain import accounts, audit, audit_log, people, sessions
from server.domain.accounts import token_digest
from server.domain.audit_log import AuditQuery, FieldChange, audit_query, entries, field_changes
from server.domain.clock import utc_now
from server.domain.errors import Refused
from server.domain.models import AuditEntry, AuthToken, Role, User
from server.domain.rows import queryset_rows
from server.domain.rows.accounts import AuditEntryRow
from server.settings import Settings
from tests import factories
from tests.conftest import TEST_PASSWORD, Account, MakeAccount

ADDRESS = "203.0.113.5"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


async def entry_at(
    actor: User | None,
    action: str,
    obj: Any,
    at: datetime,
    *,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """An audit entry recorded for `obj`, dated `at`."""
    entry = await audit.record(actor, action, obj, after=after if after is not None else {})
    await AuditEntry.filter(id=entry.id).update(at=at)
    return entry


async def ids_of(query: AuditQuery) -> list[int]:
    """The ids of the entries the query lists, in its order."""
    return [entry.id for entry in await entries(query)]


# audit.snapshot and audit.record


async def test_a_snapshot_leaves_out_the_password_hash(office: Account) -> None:
    whole = audit.snapshot(office.user)
    assert whole is not None
    assert "password_hash" not in whole
    assert whole["username"] == "office"
    assert whole["role"] == "OFFICE"
    assert isinstance(whole["created_at"], str)
    named = audit.snapshot(office.user, ("username", "password_hash"))
    assert named == {"username": "office"}
    assert audit.snapshot(None) is None


async def test_a_snapshot_leaves_out_the_token_hash(office: Account) -> None:
    token = await AuthToken.get(token_hash=token_digest(office.token))
    whole = audit.snapshot(token)
    assert whole is not None
    assert "token_hash" not in whole
    assert whole["user_id"] == office.user.id
    assert token.token_hash not in str(whole)
    assert audit.snapshot(token, ("token_hash", "device_name")) == {"device_name": None}


async def test_record_never_stores_a_hash_even_when_named(office: Account) -> None:
    token = await AuthToken.get(token_hash=token_digest(office.token))
    entry = await audit.record(
        office.user,
        "probe",
        token,
        before={"token_hash": token.token_hash, "password_hash": "secret-hash", "kept": 1},
        after={"password_hash": "secret-hash", "token_hash": token.token_hash, "kept": 2},
    )
    stored = await AuditEntry.get(id=entry.id)
    assert (stored.before, stored.after) == ({"kept": 1}, {"kept": 2})
    assert (stored.object_type, stored.object_id) == ("AuthToken", str(token.id))


async def test_record_without_after_stores_a_snapshot_without_secrets(office: Account) -> None:
    entry = await audit.record(None, "probe", office.user)
    stored = await AuditEntry.get(id=entry.id)
    assert stored.actor_id is None
    assert stored.before is None
    assert stored.after["username"] == "office"
    assert "password_hash" not in stored.after
    assert office.user.password_hash not in str(stored.after)


async def test_no_entry_holds_a_hash_after_the_account_actions(
    settings: Settings, admin: Account, office: Account
) -> None:
    """Sign-in, failed sign-in, sign-out, session revocation: no hash in any entry."""
    issued = await accounts.sign_in(settings, office.user, "phone")
    with pytest.raises(Refused):
        await accounts.check_credentials(settings, "office", "wrong password", ADDRESS)
    await accounts.sign_out(office.user, issued.token)
    own = await AuthToken.get(token_hash=token_digest(office.token))
    await sessions.revoke_session(admin.user, own.id)
    logged = " ".join(f"{e.before} {e.after}" for e in await AuditEntry.all().order_by("id"))
    assert await AuditEntry.all().count() == 4
    for secret in (
        office.user.password_hash,
        own.token_hash,
        token_digest(issued.token),
        issued.token,
        office.token,
        "wrong password",
    ):
        assert secret not in logged


# failed sign-ins


async def test_a_failed_sign_in_of_a_known_user_names_the_account(office: Account) -> None:
    entry = await audit.record_failed_sign_in(office.user, "office", ADDRESS)
    stored = await AuditEntry.get(id=entry.id)
    assert (stored.actor_id, stored.action, stored.object_type, stored.object_id) == (
        None,
        "loginFailed",
        "User",
        str(office.user.id),
    )
    assert stored.after == {"username": "office", "address": ADDRESS}


async def test_a_failed_sign_in_of_an_unknown_user_has_no_object() -> None:
    entry = await audit.record_failed_sign_in(None, "nobody", ADDRESS)
    stored = await AuditEntry.get(id=entry.id)
    assert (stored.object_type, stored.object_id) == ("User", None)
    assert stored.after == {"username": "nobody", "address": ADDRESS}


async def test_check_credentials_audits_a_wrong_password(
    settings: Settings, office: Account
) -> None:
    with pytest.raises(Refused) as refused:
        await accounts.check_credentials(settings, "office", "not the password", ADDRESS)
    assert refused.value.code == "INVALID"
    entry = await AuditEntry.get(action="loginFailed")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        None,
        "User",
        str(office.user.id),
    )
    assert entry.after == {"username": "office", "address": ADDRESS}


async def test_check_credentials_audits_an_unknown_and_a_disabled_user(
    settings: Settings, make_account: MakeAccount
) -> None:
    gone = await make_account(Role.OFFICE, "gone", is_active=False)
    for username, password in (("nobody", TEST_PASSWORD), ("gone", TEST_PASSWORD)):
        with pytest.raises(Refused):
            await accounts.check_credentials(settings, username, password, ADDRESS)
    found = await AuditEntry.filter(action="loginFailed").order_by("id")
    assert [(e.object_id, e.after["username"]) for e in found] == [
        (None, "nobody"),
        (str(gone.user.id), "gone"),
    ]


async def test_a_hostile_username_is_audited_storably(settings: Settings) -> None:
    with pytest.raises(Refused):
        await accounts.check_credentials(settings, "a\x00b" + "x" * 500, "pw", ADDRESS)
    entry = await AuditEntry.get(action="loginFailed")
    assert entry.object_id is None
    assert entry.after["username"] == ("a\ufffdb" + "x" * 500)[:64]


async def test_a_right_password_writes_no_failure(settings: Settings, office: Account) -> None:
    user = await accounts.check_credentials(settings, "office", TEST_PASSWORD, ADDRESS)
    assert user.id == office.user.id
    assert not await AuditEntry.filter(action="loginFailed").exists()


# audit_query


@pytest.mark.parametrize("role", [Role.OFFICE, Role.COORDINATOR, Role.SITE_MANAGER])
async def test_only_audit_readers_may_query(make_account: MakeAccount, role: Role) -> None:
    viewer = (await make_account(role)).user
    with pytest.raises(Refused) as refused:
        audit_query(viewer)
    assert refused.value.code == "FORBIDDEN"


async def test_readers_get_their_hidden_types(admin: Account, supervisor: Account) -> None:
    assert audit_query(admin.user).hidden_types == frozenset()
    assert audit_query(supervisor.user).hidden_types == frozenset({"User", "AuthToken"})
    query = audit_query(admin.user, actor_id=7, action="login", since=T0, before=T0)
    assert (query.actor_id, query.action, query.since, query.before) == (7, "login", T0, T0)


@pytest.mark.parametrize(
    "conditions",
    [
        {"action": "a" * 65},
        {"action": "log\x00in"},
        {"object_type": "T" * 65},
        {"object_type": "User\x00"},
        {"since": T0, "before": T0 - timedelta(microseconds=1)},
    ],
)
async def test_audit_query_refuses_impossible_filters(
    admin: Account, conditions: dict[str, Any]
) -> None:
    with pytest.raises(Refused) as refused:
        audit_query(admin.user, **conditions)
    assert refused.value.code == "INVALID"


async def test_audit_query_accepts_the_longest_text_and_an_empty_range(admin: Account) -> None:
    query = audit_query(admin.user, action="a" * 64, object_type="T" * 64, since=T0, before=T0)
    assert await ids_of(query) == []


# entries


@pytest.fixture
async def log(admin: Account, supervisor: Account, office: Account) -> dict[str, AuditEntry]:
    """Five entries by three actors at known times, two of them about accounts."""
    project = await factories.project()
    return {
        "project-a": await entry_at(office.user, "createProject", project, T0),
        "user": await entry_at(admin.user, "updateUser", office.user, T0 + timedelta(hours=1)),
        "project-b": await entry_at(
            supervisor.user, "updateProject", project, T0 + timedelta(hours=2)
        ),
        "token": await entry_at(
            admin.user,
            "revokeSession",
            await AuthToken.get(token_hash=token_digest(office.token)),
            T0 + timedelta(hours=3),
        ),
        "project-c": await entry_at(admin.user, "updateProject", project, T0 + timedelta(hours=3)),
    }


async def test_entries_are_newest_first_and_all_of_them_for_an_admin(
    admin: Account, log: dict[str, AuditEntry]
) -> None:
    listed = await ids_of(audit_query(admin.user))
    assert listed == [
        log["project-c"].id,
        log["token"].id,
        log["project-b"].id,
        log["user"].id,
        log["project-a"].id,
    ]


async def test_a_supervisor_does_not_see_account_entries(
    supervisor: Account, log: dict[str, AuditEntry]
) -> None:
    listed = await ids_of(audit_query(supervisor.user))
    assert listed == [log["project-c"].id, log["project-b"].id, log["project-a"].id]
    for object_type in ("User", "AuthToken"):
        assert await ids_of(audit_query(supervisor.user, object_type=object_type)) == []
    by_admin = await ids_of(audit_query(supervisor.user, actor_id=log["user"].actor_id))
    assert by_admin == [log["project-c"].id]


async def test_entries_by_actor(
    admin: Account, office: Account, log: dict[str, AuditEntry]
) -> None:
    assert await ids_of(audit_query(admin.user, actor_id=office.user.id)) == [log["project-a"].id]
    assert await ids_of(audit_query(admin.user, actor_id=admin.user.id)) == [
        log["project-c"].id,
        log["token"].id,
        log["user"].id,
    ]
    assert await ids_of(audit_query(admin.user, actor_id=999_999)) == []


async def test_entries_by_object(admin: Account, log: dict[str, AuditEntry]) -> None:
    project_id = log["project-a"].object_id
    assert project_id is not None
    by_type = await ids_of(audit_query(admin.user, object_type="Project"))
    assert by_type == [log["project-c"].id, log["project-b"].id, log["project-a"].id]
    one = await ids_of(audit_query(admin.user, object_type="Project", object_ids=(project_id,)))
    assert one == by_type
    other = await ids_of(audit_query(admin.user, object_type="Project", object_ids=("999999",)))
    assert other == []
    assert await ids_of(audit_query(admin.user, object_type="Project", object_ids=())) == []


async def test_entries_by_object_id_keep_to_the_type(
    admin: Account, log: dict[str, AuditEntry]
) -> None:
    """A user and a project may share an id: the type tells them apart."""
    await AuditEntry.filter(id=log["user"].id).update(object_id=log["project-a"].object_id)
    project_id = log["project-a"].object_id
    assert project_id is not None
    users = await ids_of(audit_query(admin.user, object_type="User", object_ids=(project_id,)))
    assert users == [log["user"].id]


async def test_entries_by_action(admin: Account, log: dict[str, AuditEntry]) -> None:
    assert await ids_of(audit_query(admin.user, action="updateProject")) == [
        log["project-c"].id,
        log["project-b"].id,
    ]
    assert await ids_of(audit_query(admin.user, action="UPDATEPROJECT")) == []


async def test_entries_in_a_time_range_from_inclusive_to_exclusive(
    admin: Account, log: dict[str, AuditEntry]
) -> None:
    one_hour, three_hours = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
    window = await ids_of(audit_query(admin.user, since=one_hour, before=three_hours))
    assert window == [log["project-b"].id, log["user"].id]
    since = await ids_of(audit_query(admin.user, since=three_hours))
    assert since == [log["project-c"].id, log["token"].id]
    before = await ids_of(audit_query(admin.user, before=one_hour))
    assert before == [log["project-a"].id]
    assert await ids_of(audit_query(admin.user, since=one_hour, before=one_hour)) == []


async def test_entries_filters_combine(
    admin: Account, supervisor: Account, log: dict[str, AuditEntry]
) -> None:
    query = audit_query(
        admin.user,
        actor_id=admin.user.id,
        action="updateProject",
        object_type="Project",
        since=T0 + timedelta(hours=2),
        before=T0 + timedelta(hours=4),
    )
    assert await ids_of(query) == [log["project-c"].id]
    query = audit_query(supervisor.user, actor_id=admin.user.id, action="updateUser")
    assert await ids_of(query) == []


async def test_entries_in_other_time_zones_compare_as_instants(
    admin: Account, log: dict[str, AuditEntry]
) -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    since = (T0 + timedelta(hours=1)).astimezone(shanghai)
    before = (T0 + timedelta(hours=2)).astimezone(shanghai)
    assert await ids_of(audit_query(admin.user, since=since, before=before)) == [log["user"].id]


# field_changes


def row(before: dict[str, Any] | None, after: dict[str, Any] | None) -> AuditEntryRow:
    """An audit entry row with these values."""
    return AuditEntryRow(
        id=1,
        actor_id=None,
        action="updateUser",
        object_type="User",
        object_id="1",
        before=before,
        after=after,
        at=utc_now(),
    )


def test_field_changes_list_only_the_changed_fields_by_name() -> None:
    changes = field_changes(
        row(
            {"role": "OFFICE", "unit": "一公司", "display_name": "Zhao"},
            {"role": "ADMIN", "unit": "一公司", "display_name": "赵"},
        )
    )
    assert changes == [
        FieldChange("display_name", "Zhao", "赵"),
        FieldChange("role", "OFFICE", "ADMIN"),
    ]


def test_field_changes_write_other_values_as_json_and_none_as_none() -> None:
    changes = field_changes(
        row(
            {"is_active": True, "unit": "一公司", "count": 1},
            {"is_active": False, "unit": None, "count": 2, "share": 0.5, "sessions_ended": 3},
        )
    )
    assert changes == [
        FieldChange("count", "1", "2"),
        FieldChange("is_active", "true", "false"),
        FieldChange("sessions_ended", None, "3"),
        FieldChange("share", None, "0.5"),
        FieldChange("unit", "一公司", None),
    ]


def test_field_changes_of_a_creation_or_an_empty_entry() -> None:
    assert field_changes(row(None, {"name": "A", "tags": ["x", "y"], "n": None})) == [
        FieldChange("name", None, "A"),
        FieldChange("tags", None, '["x","y"]'),
    ]
    assert field_changes(row(None, None)) == []
    assert field_changes(row({"a": 1}, {"a": 1})) == []


async def test_field_changes_of_a_stored_entry(admin: Account, office: Account) -> None:
    await people.update_user(
        admin.user, office.user.id, people.UserChanges(role=Role.SUPERVISOR, is_active=False)
    )
    query = audit_query(admin.user, action="updateUser")
    (stored,) = await queryset_rows(AuditEntryRow, entries(query))
    assert field_changes(stored) == [
        FieldChange("is_active", "true", "false"),
        FieldChange("role", "OFFICE", "SUPERVISOR"),
        FieldChange("sessions_ended", None, "1"),
    ]


async def test_an_unknown_condition_is_a_programming_error(admin: Account) -> None:
    with pytest.raises(TypeError):
        audit_log.audit_query(admin.user, secret=secrets.token_hex(2))
