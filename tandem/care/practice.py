"""A practice's collaboration settings, shared by the care sub-domains (crisis, messaging)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from tandem.organisations.models import Organisation


class CareSettings(models.Model):
    """A practice's collaboration settings: crisis windows, message target, safety details."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="care_settings"
    )
    ack_minutes_business = models.PositiveSmallIntegerField(
        default=15, help_text="Minutes to acknowledge a safety alert during business hours."
    )
    ack_minutes_after_hours = models.PositiveSmallIntegerField(
        default=60, help_text="Minutes to acknowledge a safety alert outside business hours."
    )
    message_response_days = models.PositiveSmallIntegerField(
        default=2, help_text="Business days to answer a clinician's question (1 or 2)."
    )
    share_safety_details_without_release = models.BooleanField(
        default=False,
        help_text=(
            "Share the details of a safety alert with the care team even when no release covers "
            "safety information (45 CFR 164.512(j): serious and imminent threat). Off by default: "
            "the alert itself always reaches the team; its details follow the client's consent."
        ),
    )

    rota_check_scheduled_for = models.DateField(
        null=True, blank=True, help_text="The day the next rota-gap check is queued for."
    )

    class Meta:
        app_label = "care"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(message_response_days__gte=1, message_response_days__lte=2),
                name="care_settings_response_days",
            ),
            models.CheckConstraint(
                condition=models.Q(ack_minutes_business__gte=1, ack_minutes_after_hours__gte=1),
                name="care_settings_ack_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Care settings of {self.organisation}"
