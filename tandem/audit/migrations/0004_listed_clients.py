"""Index the clients a list-read event names, append-only like the events themselves."""

import django.db.models.deletion
from django.db import migrations, models

PG_FORWARD = """
CREATE TRIGGER audit_auditeventclient_append_only
  BEFORE UPDATE OR DELETE ON audit_auditeventclient
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
"""
PG_REVERSE = "DROP TRIGGER IF EXISTS audit_auditeventclient_append_only ON audit_auditeventclient;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_alter_auditevent_action")]

    operations = [
        migrations.CreateModel(
            name="AuditEventClient",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("client_id", models.CharField(db_index=True, max_length=64)),
                (
                    "event",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="listed_clients",
                        to="audit.auditevent",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("event", "client_id"), name="audit_event_client_once"
                    )
                ],
            },
        ),
        migrations.RunPython(forward, reverse),
    ]
