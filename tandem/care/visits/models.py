"""The planned rhythm of psychiatric visits."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tandem.clients.models import Client
from tandem.organisations.models import Organisation


class VisitPlan(models.Model):
    """The planned rhythm of psychiatric visits, so the coordinator hears when one is unbooked."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="visit_plan")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    psychiatry_every_weeks = models.PositiveSmallIntegerField(default=12)
    therapy_every_weeks = models.PositiveSmallIntegerField(default=1)
    next_psychiatry_due = models.DateField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        app_label = "care"

    def __str__(self) -> str:
        return f"Visit plan for client {self.client.public_id}"
