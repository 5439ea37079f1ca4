"""User administration called directly: create, change, disable, reset and change passwords,
the last-admin rule and the user list."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from server.domain import people
from server.domain.accounts import token_digest
from server.domain.clock import utc_now
from server.domain.errors import Refused
from server.domain.models import AuditEntry, AuthToken, Role, User
from server.domain.people import NewUser, UserChanges, UserFilter
from tests.conftest import Account, MakeAccount


def new_user(**fields: object) -> NewUser:
    """A valid new account, with `fields` changed."""
    values: dict[str, object] = {
        "username": "li.ming",
        "display_name": "李明",
        "role": Role.SITE_MANAGER,
        "unit": "一公司",
        "phone": "+86 138-0000-0000",
        "password_hash": "hash-of-the-initial-password",
    }
    values.update(fields)
    return NewUser(**values)  # type: ignore[arg-type]


async def add_token(user: User, *, revoked: bool = False) -> str:
    """A new token of `user` (revoked if asked); its digest."""
    digest = token_digest(secrets.token_urlsafe(24))
    await AuthToken.create(
        user=user,
        token_hash=digest,
        expires_at=utc_now() + timedelta(hours=1),
        revoked_at=utc_now() if revoked else None,
    )
    return digest


async def live_digests(user: User) -> set[str]:
    """The digests of the user's tokens that are not revoked."""
    found = await AuthToken.filter(user_id=user.id, revoked_at__isnull=True).values_list(
        "token_hash", flat=True
    )
    return set(found)


async def refusal_of(coroutine: object) -> Refused:
    """The refusal the awaited coroutine raises."""
    with pytest.raises(Refused) as refused:
        await coroutine  # type: ignore[misc]
    return refused.value


# create_user


async def test_create_user_makes_an_active_account_that_must_change_its_password(
    admin: Account,
) -> None:
    user = await people.create_user(admin.user, new_user(display_name="  李明  "))
    stored = await User.get(id=user.id)
    assert (stored.username, stored.display_name, stored.role) == (
        "li.ming",
        "李明",
        Role.SITE_MANAGER,
    )
    assert (stored.unit, stored.phone) == ("一公司", "+86 138-0000-0000")
    assert stored.is_active is True
    assert stored.must_change_password is True
    assert stored.password_hash == "hash-of-the-initial-password"


async def test_create_user_stores_blank_unit_and_phone_as_none(admin: Account) -> None:
    user = await people.create_user(admin.user, new_user(unit="   ", phone=""))
    stored = await User.get(id=user.id)
    assert (stored.unit, stored.phone) == (None, None)


async def test_create_user_is_audited_without_the_password_hash(admin: Account) -> None:
    user = await people.create_user(admin.user, new_user())
    entry = await AuditEntry.get(action="createUser")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        admin.user.id,
        "User",
        str(user.id),
    )
    assert entry.before is None
    assert entry.after["username"] == "li.ming"
    assert entry.after["role"] == "SITE_MANAGER"
    assert entry.after["must_change_password"] is True
    assert "password_hash" not in entry.after
    assert "hash-of-the-initial-password" not in str(entry.after)


async def test_create_user_from_the_command_line_has_no_actor() -> None:
    user = await people.create_user(None, new_user())
    entry = await AuditEntry.get(action="createUser")
    assert (entry.actor_id, entry.object_id) == (None, str(user.id))


@pytest.mark.parametrize("taken", ["li.ming", "LI.MING", "Li.Ming"])
async def test_a_username_taken_in_any_case_is_refused(admin: Account, taken: str) -> None:
    await people.create_user(admin.user, new_user())
    refused = await refusal_of(people.create_user(admin.user, new_user(username=taken)))
    assert (refused.code, refused.field) == ("INVALID", ("input", "username"))
    assert "taken" in refused.message
    assert await User.filter(username__iexact="li.ming").count() == 1
    assert await AuditEntry.filter(action="createUser").count() == 1


@pytest.mark.parametrize(
    "username", ["", "li ming", "x" * 65, "li\x00ming", "li/ming", "li;ming", "李 明"]
)
async def test_a_bad_username_is_refused(admin: Account, username: str) -> None:
    refused = await refusal_of(people.create_user(admin.user, new_user(username=username)))
    assert (refused.code, refused.field) == ("INVALID", ("input", "username"))
    assert await User.all().count() == 1  # the admin only


async def test_a_username_of_64_plain_characters_in_any_script_passes(admin: Account) -> None:
    for username in ("a" * 64, "李明", "w.li+site@zone-1_b"):
        await people.create_user(admin.user, new_user(username=username))
    assert await User.all().count() == 4


async def test_every_bad_field_is_reported_at_once(admin: Account) -> None:
    refused = await refusal_of(
        people.create_user(
            admin.user,
            new_user(username="has space", display_name="   ", unit="u" * 129, phone="call me"),
        )
    )
    assert [(p.code, p.field) for p in refused.problems] == [
        ("INVALID", ("input", "username")),
        ("INVALID", ("input", "displayName")),
        ("INVALID", ("input", "unit")),
        ("INVALID", ("input", "phone")),
    ]
    assert await User.all().count() == 1
    assert not await AuditEntry.filter(action="createUser").exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"display_name": ""},
        {"display_name": "n" * 129},
        {"display_name": "tab\tname"},
        {"display_name": "nul\x00name"},
        {"unit": "line\nbreak"},
        {"phone": "12"},
        {"phone": "1" * 33},
        {"phone": "++86 1380"},
        {"phone": "138\x000000"},
    ],
)
async def test_a_bad_profile_field_is_refused(admin: Account, fields: dict[str, str]) -> None:
    refused = await refusal_of(people.create_user(admin.user, new_user(**fields)))
    assert refused.code == "INVALID"
    assert len(refused.problems) == 1
    assert not await User.filter(username="li.ming").exists()


# update_user


async def test_update_user_changes_the_fields_and_audits_only_those(
    admin: Account, make_account: MakeAccount
) -> None:
    target = (await make_account(Role.SITE_MANAGER, "wang", unit="一公司", phone="1380")).user
    await people.update_user(
        admin.user,
        target.id,
        UserChanges(display_name=" 王工 ", role=Role.COORDINATOR, unit="二公司", phone="139 0000"),
    )
    stored = await User.get(id=target.id)
    assert (stored.display_name, stored.role, stored.unit, stored.phone) == (
        "王工",
        Role.COORDINATOR,
        "二公司",
        "139 0000",
    )
    assert stored.is_active is True
    entry = await AuditEntry.get(action="updateUser")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        admin.user.id,
        "User",
        str(target.id),
    )
    assert entry.before == {
        "display_name": "wang",
        "role": "SITE_MANAGER",
        "unit": "一公司",
        "phone": "1380",
    }
    assert entry.after == {
        "display_name": "王工",
        "role": "COORDINATOR",
        "unit": "二公司",
        "phone": "139 0000",
    }


async def test_empty_unit_and_phone_clear_them(admin: Account, make_account: MakeAccount) -> None:
    target = (await make_account(Role.OFFICE, "zhao", unit="一公司", phone="1380")).user
    await people.update_user(admin.user, target.id, UserChanges(unit="", phone=""))
    stored = await User.get(id=target.id)
    assert (stored.unit, stored.phone) == (None, None)
    entry = await AuditEntry.get(action="updateUser")
    assert (entry.before, entry.after) == (
        {"unit": "一公司", "phone": "1380"},
        {"unit": None, "phone": None},
    )


async def test_none_leaves_fields_as_they_are_and_a_no_op_writes_no_entry(
    admin: Account, make_account: MakeAccount
) -> None:
    target = (await make_account(Role.OFFICE, "zhao", unit="一公司", phone="1380")).user
    await people.update_user(admin.user, target.id, UserChanges())
    await people.update_user(
        admin.user,
        target.id,
        UserChanges(display_name="zhao", role=Role.OFFICE, unit="一公司", is_active=True),
    )
    stored = await User.get(id=target.id)
    assert (stored.display_name, stored.role, stored.unit, stored.phone, stored.is_active) == (
        "zhao",
        Role.OFFICE,
        "一公司",
        "1380",
        True,
    )
    assert not await AuditEntry.filter(action="updateUser").exists()


async def test_update_user_refuses_an_unknown_or_missing_user(admin: Account) -> None:
    for user_id in (None, 999_999, -1):
        refused = await refusal_of(
            people.update_user(admin.user, user_id, UserChanges(display_name="x"))
        )
        assert (refused.code, refused.field) == ("NOT_FOUND", ("input", "userId"))
    assert not await AuditEntry.exists()


async def test_update_user_refuses_bad_fields_and_changes_nothing(
    admin: Account, make_account: MakeAccount
) -> None:
    target = (await make_account(Role.OFFICE, "zhao")).user
    refused = await refusal_of(
        people.update_user(
            admin.user,
            target.id,
            UserChanges(display_name=" ", unit="u" * 129, phone="x", role=Role.ADMIN),
        )
    )
    assert [p.field for p in refused.problems] == [
        ("input", "displayName"),
        ("input", "unit"),
        ("input", "phone"),
    ]
    stored = await User.get(id=target.id)
    assert (stored.display_name, stored.role, stored.unit, stored.phone) == (
        "zhao",
        Role.OFFICE,
        None,
        None,
    )
    assert not await AuditEntry.exists()


async def test_disabling_ends_every_session_and_audits_how_many(
    admin: Account, make_account: MakeAccount
) -> None:
    target = await make_account(Role.SITE_MANAGER, "wang")
    await add_token(target.user)
    await add_token(target.user, revoked=True)
    admin_digest = await add_token(admin.user)
    await people.update_user(admin.user, target.user.id, UserChanges(is_active=False))
    assert (await User.get(id=target.user.id)).is_active is False
    assert await live_digests(target.user) == set()
    assert admin_digest in await live_digests(admin.user)
    entry = await AuditEntry.get(action="updateUser")
    assert entry.before == {"is_active": True}
    assert entry.after == {"is_active": False, "sessions_ended": 2}


async def test_disabling_a_user_without_sessions_audits_no_count(
    admin: Account, make_account: MakeAccount
) -> None:
    target = (await make_account(Role.OFFICE, "zhao")).user
    await AuthToken.filter(user_id=target.id).delete()
    await people.update_user(admin.user, target.id, UserChanges(is_active=False))
    entry = await AuditEntry.get(action="updateUser")
    assert entry.after == {"is_active": False}


async def test_re_enabling_keeps_the_ended_sessions_ended(
    admin: Account, make_account: MakeAccount
) -> None:
    target = await make_account(Role.OFFICE, "zhao")
    await people.update_user(admin.user, target.user.id, UserChanges(is_active=False))
    await people.update_user(admin.user, target.user.id, UserChanges(is_active=True))
    assert (await User.get(id=target.user.id)).is_active is True
    assert await live_digests(target.user) == set()
    last = await AuditEntry.filter(action="updateUser").order_by("-id").first()
    assert last is not None
    assert (last.before, last.after) == ({"is_active": False}, {"is_active": True})


async def test_nobody_disables_their_own_account(admin: Account, make_account: MakeAccount) -> None:
    await make_account(Role.ADMIN, "second-admin")
    refused = await refusal_of(
        people.update_user(admin.user, admin.user.id, UserChanges(is_active=False))
    )
    assert (refused.code, refused.field) == ("INVALID", ("input", "active"))
    assert "your own account" in refused.message
    assert (await User.get(id=admin.user.id)).is_active is True
    assert await live_digests(admin.user) != set()
    assert not await AuditEntry.exists()


async def test_the_last_active_admin_cannot_be_disabled(
    admin: Account, make_account: MakeAccount
) -> None:
    other = (await make_account(Role.ADMIN, "other-admin")).user
    await User.filter(id=admin.user.id).update(is_active=False)
    # `admin` is inactive now; `other` is the last active admin, disabled by an admin object
    # that still has the ADMIN role in memory.
    refused = await refusal_of(
        people.update_user(admin.user, other.id, UserChanges(is_active=False))
    )
    assert (refused.code, refused.field) == ("INVALID", ("input", "active"))
    assert "last active administrator" in refused.message
    assert (await User.get(id=other.id)).is_active is True
    assert not await AuditEntry.exists()


async def test_the_last_active_admin_cannot_be_demoted(admin: Account) -> None:
    refused = await refusal_of(
        people.update_user(admin.user, admin.user.id, UserChanges(role=Role.OFFICE))
    )
    assert (refused.code, refused.field) == ("INVALID", ("input", "role"))
    assert "last active administrator" in refused.message
    assert (await User.get(id=admin.user.id)).role == Role.ADMIN
    assert not await AuditEntry.exists()


async def test_an_inactive_admin_does_not_count_as_another_admin(
    admin: Account, make_account: MakeAccount
) -> None:
    await make_account(Role.ADMIN, "departed-admin", is_active=False)
    refused = await refusal_of(
        people.update_user(admin.user, admin.user.id, UserChanges(role=Role.SUPERVISOR))
    )
    assert refused.code == "INVALID"
    assert (await User.get(id=admin.user.id)).role == Role.ADMIN


async def test_an_admin_can_be_demoted_or_disabled_while_another_is_active(
    admin: Account, make_account: MakeAccount
) -> None:
    other = (await make_account(Role.ADMIN, "other-admin")).user
    third = (await make_account(Role.ADMIN, "third-admin")).user
    await people.update_user(admin.user, admin.user.id, UserChanges(role=Role.OFFICE))
    assert (await User.get(id=admin.user.id)).role == Role.OFFICE
    await people.update_user(other, third.id, UserChanges(is_active=False))
    assert (await User.get(id=third.id)).is_active is False
    refused = await refusal_of(people.update_user(third, other.id, UserChanges(role=Role.OFFICE)))
    assert refused.code == "INVALID"
    assert (await User.get(id=other.id)).role == Role.ADMIN


async def test_changing_the_last_admins_other_fields_is_allowed(admin: Account) -> None:
    await people.update_user(
        admin.user,
        admin.user.id,
        UserChanges(display_name="Chief", role=Role.ADMIN, is_active=True),
    )
    stored = await User.get(id=admin.user.id)
    assert (stored.display_name, stored.role, stored.is_active) == ("Chief", Role.ADMIN, True)


async def test_disabling_an_inactive_admin_is_a_no_op(
    admin: Account, make_account: MakeAccount
) -> None:
    departed = (await make_account(Role.ADMIN, "departed", is_active=False)).user
    await people.update_user(admin.user, departed.id, UserChanges(is_active=False))
    assert not await AuditEntry.exists()


# reset_password


async def test_reset_password_replaces_the_hash_and_ends_every_session(
    admin: Account, make_account: MakeAccount
) -> None:
    target = await make_account(Role.SITE_MANAGER, "wang")
    await add_token(target.user)
    await people.reset_password(admin.user, target.user.id, "hash-of-the-temporary-password")
    stored = await User.get(id=target.user.id)
    assert stored.password_hash == "hash-of-the-temporary-password"
    assert stored.must_change_password is True
    assert await live_digests(target.user) == set()
    assert await live_digests(admin.user) != set()
    entry = await AuditEntry.get(action="resetPassword")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        admin.user.id,
        "User",
        str(target.user.id),
    )
    assert entry.after == {"must_change_password": True, "sessions_ended": 2}
    assert "hash-of-the-temporary-password" not in str(entry.before) + str(entry.after)


async def test_an_admin_cannot_reset_their_own_password(admin: Account, password_hash: str) -> None:
    refused = await refusal_of(people.reset_password(admin.user, admin.user.id, "new-hash"))
    assert (refused.code, refused.field) == ("INVALID", ("input", "userId"))
    assert "changePassword" in refused.message
    stored = await User.get(id=admin.user.id)
    assert (stored.password_hash, stored.must_change_password) == (password_hash, False)
    assert await live_digests(admin.user) != set()
    assert not await AuditEntry.exists()


async def test_the_command_line_resets_anyones_password(admin: Account) -> None:
    await people.reset_password(None, admin.user.id, "recovery-hash")
    stored = await User.get(id=admin.user.id)
    assert (stored.password_hash, stored.must_change_password) == ("recovery-hash", True)
    assert await live_digests(admin.user) == set()
    entry = await AuditEntry.get(action="resetPassword")
    assert (entry.actor_id, entry.object_id) == (None, str(admin.user.id))


async def test_reset_password_refuses_an_unknown_user(admin: Account) -> None:
    for user_id in (None, 424_242):
        refused = await refusal_of(people.reset_password(admin.user, user_id, "x"))
        assert (refused.code, refused.field) == ("NOT_FOUND", ("input", "userId"))
    assert not await AuditEntry.exists()


# change_password


async def test_change_password_ends_the_other_sessions_but_the_current_one(
    make_account: MakeAccount, password_hash: str
) -> None:
    account = await make_account(Role.SITE_MANAGER, "wang", must_change_password=True)
    current = token_digest(account.token)
    other = await add_token(account.user)
    ended = await people.change_password(account.user, password_hash, "new-hash", False, current)
    assert ended == 1
    stored = await User.get(id=account.user.id)
    assert (stored.password_hash, stored.must_change_password) == ("new-hash", False)
    assert (account.user.password_hash, account.user.must_change_password) == ("new-hash", False)
    assert await live_digests(account.user) == {current}
    assert other not in await live_digests(account.user)
    entry = await AuditEntry.get(action="changePassword")
    assert (entry.actor_id, entry.object_id) == (account.user.id, str(account.user.id))
    assert entry.after == {"must_change_password": False, "sessions_ended": 1}
    assert "hash" not in str(entry.after).replace("password", "")


async def test_change_password_can_keep_the_other_sessions(
    make_account: MakeAccount, password_hash: str
) -> None:
    account = await make_account(Role.OFFICE, "zhao")
    other = await add_token(account.user)
    ended = await people.change_password(
        account.user, password_hash, "new-hash", True, token_digest(account.token)
    )
    assert ended == 0
    assert await live_digests(account.user) == {token_digest(account.token), other}
    entry = await AuditEntry.get(action="changePassword")
    assert entry.after == {"must_change_password": False, "sessions_ended": 0}


async def test_change_password_without_a_current_token_ends_them_all(
    make_account: MakeAccount, password_hash: str
) -> None:
    account = await make_account(Role.OFFICE, "zhao")
    assert await people.change_password(account.user, password_hash, "new-hash", False, None) == 1
    assert await live_digests(account.user) == set()


async def test_change_password_conflicts_when_the_password_changed_meanwhile(
    make_account: MakeAccount, password_hash: str
) -> None:
    account = await make_account(Role.OFFICE, "zhao", must_change_password=True)
    await User.filter(id=account.user.id).update(password_hash="changed-elsewhere")
    refused = await refusal_of(
        people.change_password(account.user, password_hash, "new-hash", False, None)
    )
    assert refused.code == "CONFLICT"
    stored = await User.get(id=account.user.id)
    assert (stored.password_hash, stored.must_change_password) == ("changed-elsewhere", True)
    assert await live_digests(account.user) == {token_digest(account.token)}
    assert not await AuditEntry.exists()


# user_list


async def names(flt: UserFilter) -> list[str]:
    """The usernames the filter lists, in its order."""
    return [user.username for user in await people.user_list(flt)]


@pytest.fixture
async def crew(make_account: MakeAccount) -> None:
    """Five users in two units, one of them disabled."""
    await make_account(Role.ADMIN, "admin", display_name="Administrator")
    await make_account(Role.OFFICE, "zhao", display_name="赵 Office", unit="一公司")
    await make_account(Role.SITE_MANAGER, "wang", display_name="王 Site", unit="一公司")
    await make_account(Role.SITE_MANAGER, "bai", display_name="白 Site", unit="二公司")
    await make_account(
        Role.SUPERVISOR, "li", display_name="李 Supervisor", unit="二公司", is_active=False
    )


async def test_user_list_orders_by_username(crew: None) -> None:
    assert await names(UserFilter()) == sorted(["admin", "zhao", "wang", "bai", "li"])


async def test_user_list_filters_by_roles(crew: None) -> None:
    assert await names(UserFilter(roles=frozenset({Role.SITE_MANAGER}))) == ["bai", "wang"]
    both = UserFilter(roles=frozenset({Role.OFFICE, Role.SUPERVISOR}))
    assert await names(both) == ["li", "zhao"]
    assert await names(UserFilter(roles=frozenset({Role.COORDINATOR}))) == []
    assert await names(UserFilter(roles=frozenset())) == []


async def test_user_list_filters_by_unit_and_activity(crew: None) -> None:
    assert await names(UserFilter(unit="一公司")) == ["wang", "zhao"]
    assert await names(UserFilter(unit="三公司")) == []
    assert await names(UserFilter(active=False)) == ["li"]
    assert await names(UserFilter(active=True, unit="二公司")) == ["bai"]


async def test_user_list_searches_username_and_display_name_without_case(crew: None) -> None:
    assert await names(UserFilter(search="BAI")) == ["bai"]
    assert await names(UserFilter(search="wANG")) == ["wang"]
    assert await names(UserFilter(search="site")) == ["bai", "wang"]
    assert await names(UserFilter(search="赵")) == ["zhao"]
    assert await names(UserFilter(search="a")) == ["admin", "bai", "wang", "zhao"]
    assert await names(UserFilter(search="nobody")) == []
    assert await names(UserFilter(search="%")) == []
    assert await names(UserFilter(search="_")) == []


async def test_user_list_combines_filters(crew: None) -> None:
    flt = UserFilter(
        roles=frozenset({Role.SITE_MANAGER, Role.SUPERVISOR}),
        unit="二公司",
        active=True,
        search="site",
    )
    assert await names(flt) == ["bai"]


@pytest.mark.parametrize(
    ("flt", "field"),
    [
        (UserFilter(search="s" * 65), ("filter", "search")),
        (UserFilter(search="a\x00b"), ("filter", "search")),
        (UserFilter(unit="u" * 129), ("filter", "unit")),
        (UserFilter(unit="a\x00b"), ("filter", "unit")),
    ],
)
async def test_user_list_refuses_over_long_or_nul_text(
    crew: None, flt: UserFilter, field: tuple[str, ...]
) -> None:
    with pytest.raises(Refused) as refused:
        await people.user_list(flt)
    assert (refused.value.code, refused.value.field) == ("INVALID", field)


async def test_user_list_accepts_the_longest_search_and_unit(crew: None) -> None:
    assert await names(UserFilter(search="s" * 64)) == []
    assert await names(UserFilter(unit="u" * 128)) == []
