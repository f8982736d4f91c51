"""Sign the chain head with the audit key, so a rewritten head is detected."""

from django.db import migrations, models


def sign_head(apps, schema_editor):
    # The head as it stands now is taken as genuine: run verify_audit before migrating.
    from tandem.audit.chain import head_signature

    head = apps.get_model("audit", "AuditChainHead").objects.filter(pk=1).first()
    if head is not None:
        head.signature = head_signature(head.last_seq, head.last_hash)
        head.save(update_fields=["signature"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_listed_clients")]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="signature",
            field=models.CharField(
                blank=True,
                help_text="HMAC of last_seq and last_hash (audit.chain.head_signature).",
                max_length=64,
            ),
        ),
        migrations.RunPython(sign_head, migrations.RunPython.noop),
    ]
