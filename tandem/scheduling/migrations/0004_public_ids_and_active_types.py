"""Give appointment types and weekly hours random public ids (the settings pages name them in
URLs), and let a practice retire an appointment type without deleting booked visits' type."""

import uuid

from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    for name in ("AppointmentType", "WeeklyHours"):
        model = apps.get_model("scheduling", name)
        for row in model.objects.filter(public_id__isnull=True).only("pk"):
            model.objects.filter(pk=row.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_locationattestation_reminder_waitlistentry"),
    ]

    operations = [
        migrations.AddField(
            model_name="appointmenttype",
            name="is_active",
            field=models.BooleanField(
                default=True,
                help_text="Inactive types are no longer offered; booked visits keep theirs.",
            ),
        ),
        migrations.AddField(
            model_name="appointmenttype",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="weeklyhours",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="appointmenttype",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="weeklyhours",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
