"""The audit tables' text columns keep their plain index and lose db_index's "_like" twin.

On PostgreSQL ``db_index=True`` on a CharField builds two indexes: the plain one, and
one with ``varchar_pattern_ops`` for ``LIKE 'prefix%'``. No read of the audit trail
asks for a prefix (the search, the client's report and verify_audit compare whole
values), and every append writes every index: the event's eleven became eight, and
the client index's 50 rows of a list page write four indexes each instead of five.

The plain indexes stay as they are, renamed to the names ``Meta.indexes`` gives them:
no index is rebuilt (a rebuild of a 2,000,000-row table's index would hold up every
audited page while it ran), and the table's rows are untouched.
"""

from typing import Any

from django.db import migrations, models

#: (table, column, the index db_index made, the name Meta.indexes gives it)
_INDEXES = [
    ("audit_auditevent", "action", "audit_auditevent_action_2131bb77", "audit_event_action_idx"),
    (
        "audit_auditevent",
        "object_id",
        "audit_auditevent_object_id_3d6dccfb",
        "audit_event_object_id_idx",
    ),
    (
        "audit_auditevent",
        "client_id",
        "audit_auditevent_client_id_b7cf9ec4",
        "audit_event_client_id_idx",
    ),
    (
        "audit_auditeventclient",
        "client_id",
        "audit_auditeventclient_client_id_c8bac755",
        "audit_listed_client_idx",
    ),
]


def _forward(apps: Any, schema_editor: Any) -> None:
    qn = schema_editor.quote_name
    for table, column, old, new in _INDEXES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {qn(old + '_like')}")
            schema_editor.execute(f"ALTER INDEX {qn(old)} RENAME TO {qn(new)}")
        else:  # SQLite cannot rename an index (and has no "_like" twin): build it anew
            schema_editor.execute(f"DROP INDEX {qn(old)}")
            schema_editor.execute(f"CREATE INDEX {qn(new)} ON {qn(table)} ({qn(column)})")


def _backward(apps: Any, schema_editor: Any) -> None:
    qn = schema_editor.quote_name
    for table, column, old, new in _INDEXES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER INDEX {qn(new)} RENAME TO {qn(old)}")
            schema_editor.execute(
                f"CREATE INDEX {qn(old + '_like')} ON {qn(table)} "
                f"({qn(column)} varchar_pattern_ops)"
            )
        else:
            schema_editor.execute(f"DROP INDEX {qn(new)}")
            schema_editor.execute(f"CREATE INDEX {qn(old)} ON {qn(table)} ({qn(column)})")


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_search_keyset_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="action",
                    field=models.CharField(
                        choices=[
                            ("view", "Viewed"),
                            ("create", "Created"),
                            ("update", "Changed"),
                            ("delete", "Deleted"),
                            ("export", "Exported"),
                            ("disclose", "Disclosed to another organisation"),
                            ("login", "Signed in"),
                            ("login_failed", "Failed sign-in"),
                            ("logout", "Signed out"),
                            ("mfa_added", "Added a second factor"),
                            ("mfa_removed", "Removed a second factor"),
                            ("password_changed", "Changed password"),
                            ("password_reset", "Reset password"),
                            ("permission_granted", "Granted a role"),
                            ("permission_revoked", "Revoked a role"),
                            ("signup", "Signed up"),
                        ],
                        max_length=30,
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="object_id",
                    field=models.CharField(blank=True, max_length=64),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="client_id",
                    field=models.CharField(
                        blank=True, help_text="Public id of the client concerned.", max_length=64
                    ),
                ),
                migrations.AlterField(
                    model_name="auditeventclient",
                    name="client_id",
                    field=models.CharField(max_length=64),
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(fields=["action"], name="audit_event_action_idx"),
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(fields=["object_id"], name="audit_event_object_id_idx"),
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(fields=["client_id"], name="audit_event_client_id_idx"),
                ),
                migrations.AddIndex(
                    model_name="auditeventclient",
                    index=models.Index(fields=["client_id"], name="audit_listed_client_idx"),
                ),
            ],
            database_operations=[migrations.RunPython(_forward, _backward)],
        )
    ]
