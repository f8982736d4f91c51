"""On PostgreSQL, back the unit claims with an exclusion constraint on the time range itself."""

from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_appointment ADD CONSTRAINT scheduling_no_overlap
  EXCLUDE USING gist (prescriber_id WITH =, tstzrange(starts_at, blocked_until) WITH &&)
  WHERE (status IN ('held', 'pending', 'confirmed'));
"""
REVERSE = "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS scheduling_no_overlap;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
