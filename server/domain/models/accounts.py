"""Users, sign-in tokens, the login throttle and the audit log."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    """What a user does in the zone; decides what they may see and change."""

    ADMIN = "ADMIN"
    OFFICE = "OFFICE"
    SUPERVISOR = "SUPERVISOR"
    COORDINATOR = "COORDINATOR"
    SITE_MANAGER = "SITE_MANAGER"


class User(Model):
    """A person who signs in: office staff, supervisors, coordinators and site managers."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=128)
    role = fields.CharEnumField(Role, max_length=16)
    unit = fields.CharField(max_length=128, null=True)
    phone = fields.CharField(max_length=32, null=True)
    is_active = fields.BooleanField(default=True)
    password_hash = fields.CharField(max_length=256)
    must_change_password = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "user"
        indexes = (("role", "username"),)


class AuthToken(Model):
    """A bearer token, stored only as its SHA-256 so a database leak reveals no token."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    device_name = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)
    """Written at most once a minute per token (see `accounts.authenticate`)."""
    last_address = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "auth_token"
        indexes = (("user_id", "created_at"),)


class LoginFailure(Model):
    """One failed sign-in, counted by the throttle per (username, address) and per address."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, db_index=True)
    address = fields.CharField(max_length=64, null=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "login_failure"
        indexes = (("address", "at"),)


class AuditEntry(Model):
    """One change made through a mutation: who, when, what, and the values before and after."""

    id = fields.BigIntField(primary_key=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    action = fields.CharField(max_length=64)
    object_type = fields.CharField(max_length=64)
    object_id = fields.CharField(max_length=64, null=True)
    """Null when the object does not exist (a failed sign-in with an unknown username)."""
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_entry"
        indexes = (
            ("object_type", "object_id"),
            ("actor_id", "at"),
            ("at",),
            ("action", "at"),
        )
