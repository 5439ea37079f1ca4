"""Field sync and the weak network: the change journal, its horizon, registered documents."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class JournalEntry(Model):
    """One change a phone may need to hear about, in commit order (`seq`).

    `typename` and `object_id` name the object; `project_id` the project it belongs to (for the
    site managers' scope); `user_id`, when set, limits the entry to that one viewer (their
    notifications, or a note that their sight of the object changed). `deleted` marks a row
    that is gone.
    """

    seq = fields.BigIntField(primary_key=True)
    typename = fields.CharField(max_length=32)
    object_id = fields.BigIntField()
    project_id = fields.IntField(null=True)
    user_id = fields.IntField(null=True)
    deleted = fields.BooleanField(default=False)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "journal_entry"
        indexes = (
            ("project_id", "seq"),
            ("user_id", "seq"),
            ("project_id", "user_id", "seq"),
            ("at",),
        )


class JournalHorizon(Model):
    """How far the journal has been pruned: tokens at or before `pruned_through` have expired."""

    id = fields.IntField(primary_key=True)
    pruned_through = fields.BigIntField(default=0)
    pruned_at = fields.DatetimeField(null=True)

    class Meta:
        table = "journal_horizon"


OPERATION_NAMES_LENGTH = 500
"""Longest list of a registered document's operation names kept (comma-separated)."""
SOURCE_LENGTH = 500
"""Longest note of where a registered document came from kept."""


class PersistedQuery(Model):
    """A GraphQL document registered by its SHA-256 (the allow-list of a released app)."""

    sha256 = fields.CharField(max_length=64, primary_key=True)
    document = fields.TextField()
    operation_names = fields.CharField(max_length=OPERATION_NAMES_LENGTH, default="")
    source = fields.CharField(max_length=SOURCE_LENGTH, default="")
    registered_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "persisted_query"
