"""People and their keys: phones, forced password changes, the sessions' last use, and the audit log's indexes for its filters (actor and time, action, time).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_daily_reports')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='AuditEntry',
            name='object_id',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='AuditEntry',
            index=Index(fields=['actor_id', 'at']),
        ),
        ops.AddIndex(
            model_name='AuditEntry',
            index=Index(fields=['at']),
        ),
        ops.AddIndex(
            model_name='AuditEntry',
            index=Index(fields=['action', 'at']),
        ),
        ops.AddField(
            model_name='AuthToken',
            name='last_address',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='AuthToken',
            name='last_used_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='AuthToken',
            index=Index(fields=['user_id', 'created_at']),
        ),
        ops.AddField(
            model_name='User',
            name='must_change_password',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='User',
            name='phone',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddIndex(
            model_name='User',
            index=Index(fields=['role', 'username']),
        ),
    ]
