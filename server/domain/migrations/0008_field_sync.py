"""Field sync: the change journal and its horizon, registered documents, daily report versions."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_board_snapshots')]

    initial = False

    operations = [
        ops.CreateModel(
            name='JournalEntry',
            fields=[
                ('seq', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('typename', fields.CharField(max_length=32)),
                ('object_id', fields.BigIntField()),
                ('project_id', fields.IntField(null=True)),
                ('user_id', fields.IntField(null=True)),
                ('deleted', fields.BooleanField(default=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'journal_entry', 'app': 'models', 'indexes': [Index(fields=['project_id', 'seq']), Index(fields=['user_id', 'seq']), Index(fields=['project_id', 'user_id', 'seq']), Index(fields=['at'])], 'pk_attr': 'seq', 'table_description': 'One change a phone may need to hear about, in commit order (`seq`).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='JournalHorizon',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pruned_through', fields.BigIntField(default=0)),
                ('pruned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'journal_horizon', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How far the journal has been pruned: tokens at or before `pruned_through` have expired.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PersistedQuery',
            fields=[
                ('sha256', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('document', fields.TextField(unique=False)),
                ('operation_names', fields.CharField(default='', max_length=500)),
                ('source', fields.CharField(default='', max_length=500)),
                ('registered_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'persisted_query', 'app': 'models', 'pk_attr': 'sha256', 'table_description': 'A GraphQL document registered by its SHA-256 (the allow-list of a released app).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='DailyReport',
            name='version',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
