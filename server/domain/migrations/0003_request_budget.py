"""Request budget: login failures by client address; idempotency keys fingerprinted and aged."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_site_manager_user_index')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='IdempotencyRecord',
            name='created_at',
            field=fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
        ),
        ops.AddField(
            model_name='IdempotencyRecord',
            name='fingerprint',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AlterModelOptions(
            name='LoginFailure',
            options={'table': 'login_failure', 'app': 'models', 'indexes': [Index(fields=['address', 'at'])], 'pk_attr': 'id', 'table_description': 'One failed sign-in, counted by the throttle per (username, address) and per address.'},
        ),
        ops.AddField(
            model_name='LoginFailure',
            name='address',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='LoginFailure',
            index=Index(fields=['address', 'at']),
        ),
    ]
