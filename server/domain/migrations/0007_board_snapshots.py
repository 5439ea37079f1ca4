"""Board snapshots: each project's line of the board, once a day (health history, past boards)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_people')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BoardSnapshot',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='snapshots', on_delete=OnDelete.CASCADE)),
                ('date', fields.DateField()),
                ('health', fields.CharField(max_length=8)),
                ('overdue_milestones', fields.IntField()),
                ('worst_days_overdue', fields.IntField()),
                ('open_labour_tickets', fields.IntField()),
                ('open_material_tickets', fields.IntField()),
                ('execution_index', fields.DecimalField(null=True, max_digits=9, decimal_places=4)),
                ('on_site_rate', fields.FloatField(null=True)),
                ('backfilled', fields.BooleanField(default=False, db_default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'board_snapshot', 'app': 'models', 'unique_together': (('project', 'date'),), 'indexes': [Index(fields=['date', 'health'])], 'pk_attr': 'id', 'table_description': "One project's line of the board on one day, written once a day (and by backfill)."},
            bases=['Model'],
        ),
    ]
