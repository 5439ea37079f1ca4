"""Daily site reports: one per project and day, their trades and photos, and the report a
LABOUR ticket was filed from."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from server.domain.models.daily_reports import Trade, Weather
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_list_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DailyReport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='daily_reports', on_delete=OnDelete.CASCADE)),
                ('date', fields.DateField()),
                ('weather', fields.CharEnumField(null=True, description='SUNNY: SUNNY\nCLOUDY: CLOUDY\nOVERCAST: OVERCAST\nLIGHT_RAIN: LIGHT_RAIN\nHEAVY_RAIN: HEAVY_RAIN\nSNOW: SNOW\nFOG: FOG\nHIGH_WIND: HIGH_WIND\nEXTREME_HEAT: EXTREME_HEAT', enum_type=Weather, max_length=16)),
                ('temperature_low', fields.IntField(null=True)),
                ('temperature_high', fields.IntField(null=True)),
                ('workers_needed', fields.IntField(default=0)),
                ('workers_on_site', fields.IntField(default=0)),
                ('equipment', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('materials_received', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('materials_short', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('work_done', fields.TextField(null=True, unique=False)),
                ('problems', fields.TextField(null=True, unique=False)),
                ('reported_by', fields.ForeignKeyField('models.User', source_field='reported_by_id', db_constraint=True, to_field='id', related_name='daily_reports', on_delete=OnDelete.RESTRICT)),
                ('reported_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('amended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('photos', fields.ManyToManyField('models.Photo', unique=True, db_constraint=True, through='daily_report_photo', forward_key='photo_id', backward_key='daily_report_id', related_name='daily_reports', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'daily_report', 'app': 'models', 'unique_together': (('project', 'date'),), 'indexes': [Index(fields=['date', 'project_id'])], 'pk_attr': 'id', 'table_description': 'What a site reported for one day, with the workforce totals the series read.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DailyReportTrade',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('models.DailyReport', source_field='report_id', db_constraint=True, to_field='id', related_name='trades', on_delete=OnDelete.CASCADE)),
                ('trade', fields.CharEnumField(description='REBAR: REBAR\nFORMWORK: FORMWORK\nCONCRETE: CONCRETE\nMASONRY: MASONRY\nSTEEL_STRUCTURE: STEEL_STRUCTURE\nELECTRICAL: ELECTRICAL\nPLUMBING: PLUMBING\nHVAC: HVAC\nFINISHING: FINISHING\nMACHINERY: MACHINERY\nGENERAL_LABOUR: GENERAL_LABOUR\nOTHER: OTHER', enum_type=Trade, max_length=16)),
                ('needed', fields.IntField()),
                ('on_site', fields.IntField()),
            ],
            options={'table': 'daily_report_trade', 'app': 'models', 'unique_together': (('report', 'trade'),), 'pk_attr': 'id', 'table_description': 'Workers needed and on site for one trade in one report.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ShortageTicket',
            name='daily_report',
            field=fields.ForeignKeyField('models.DailyReport', source_field='daily_report_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL),
        ),
    ]
