"""Index project_site_manager by user: "the projects of this user" no longer scans the table.

Tortoise creates an M2M table with one unique index, (project_id, user_id), which serves
lookups by project only, and its through tables cannot be declared as models (the schema
editor would create the table twice); so the second index is plain SQL, the same on SQLite
and PostgreSQL. It names no model, so `make migrations` can rewrite 0001_initial freely.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Adds idx_project_site_manager_user."""

    dependencies = [("models", "0001_initial")]

    operations = [
        ops.RunSQL(
            "CREATE INDEX IF NOT EXISTS idx_project_site_manager_user"
            " ON project_site_manager (user_id)",
            reverse_sql="DROP INDEX IF EXISTS idx_project_site_manager_user",
        ),
    ]
