"""One hash chain per practice, each with its own signed head, so appends do not all wait.

The existing single chain becomes the legacy chain: head id 1, name "", every existing
row in chain 1 with its seq, hashes and signature unchanged (verify_audit checks it as
before). New practices' chains get heads as their first rows are recorded.

The client index loses its own index on the event: the unique (event, client_id) index
starts with the event and serves the same look-ups, at one index fewer per listed client.
"""

import django.db.models.deletion
from django.db import migrations, models


def continue_head_ids(apps, schema_editor):
    # The id became an identity column starting at 1, where the legacy head already is.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "SELECT setval(pg_get_serial_sequence('audit_auditchainhead', 'id'), "
            "GREATEST((SELECT MAX(id) FROM audit_auditchainhead), 1))"
        )


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_sign_the_chain_head")]

    operations = [
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["-id"]}),
        migrations.AddField(
            model_name="auditchainhead",
            name="name",
            field=models.CharField(
                default="",
                help_text='The practice\'s public id; "" legacy.',
                max_length=64,
                unique=True,
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.BigIntegerField(
                default=1, help_text="The chain (AuditChainHead id) this row is linked into."
            ),
        ),
        migrations.AlterField(
            model_name="auditchainhead",
            name="id",
            field=models.BigAutoField(primary_key=True, serialize=False),
        ),
        migrations.RunPython(continue_head_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(help_text="Position in its chain, from 1."),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("chain", "seq"), name="audit_event_chain_seq_once"
            ),
        ),
        migrations.AlterField(
            model_name="auditeventclient",
            name="event",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="listed_clients",
                to="audit.auditevent",
            ),
        ),
    ]
