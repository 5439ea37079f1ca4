"""Index every foreign key a list follows: phases, items, rebaselines, events, reviews, photos
of a parent, and a programme's projects (the link table's unique index serves projects only).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_request_budget')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Phase',
            index=Index(fields=['project_id', 'sequence']),
        ),
        ops.AddIndex(
            model_name='Photo',
            index=Index(fields=['ticket_id', 'uploaded_at']),
        ),
        ops.AddIndex(
            model_name='Rebaseline',
            index=Index(fields=['milestone_id', 'at']),
        ),
        ops.AddIndex(
            model_name='SupervisionReview',
            index=Index(fields=['milestone_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='TaskItem',
            index=Index(fields=['sheet_id', 'position']),
        ),
        ops.AddIndex(
            model_name='TicketEvent',
            index=Index(fields=['ticket_id', 'id']),
        ),
        ops.RunSQL(
            "CREATE INDEX IF NOT EXISTS idx_project_programme_programme"
            " ON project_programme (programme_id)",
            reverse_sql="DROP INDEX IF EXISTS idx_project_programme_programme",
        ),
    ]
