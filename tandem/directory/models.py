"""The partner directory: what a practice states about itself, what Tandem measures of it,
and what clients report (aggregated only).

A practice's admin edits its ``PracticeProfile``. ``PracticeMetrics`` is written only by
the background recompute (``actions.recompute_metrics``): no form or action of the
practice touches it. ``ExperienceCheck`` keeps one client's two answers after a visit so
the client is not asked twice; pages show only per-practice aggregates of it.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from tandem.clients.models import Client
from tandem.core.textlimits import LINE, NOTE
from tandem.organisations.models import Organisation


class Specialty(models.TextChoices):
    ADULT_ADHD = "adult_adhd", "Adult ADHD"
    BIPOLAR = "bipolar", "Bipolar spectrum"
    PERINATAL = "perinatal", "Perinatal and postpartum"
    SECOND_OPINION = "second_opinion", "Second opinions"
    TREATMENT_RESISTANT = "treatment_resistant", "Treatment-resistant depression"
    ANXIETY_OCD = "anxiety_ocd", "Anxiety and OCD"
    TRAUMA = "trauma", "Trauma and PTSD"
    EATING = "eating", "Eating disorders"
    PSYCHOSIS = "psychosis", "Early psychosis"
    SUBSTANCE = "substance", "Co-occurring substance use"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"
    PORTUGUESE = "pt", "Portuguese"
    HAITIAN_CREOLE = "ht", "Haitian Creole"
    CHINESE = "zh", "Chinese"
    VIETNAMESE = "vi", "Vietnamese"
    RUSSIAN = "ru", "Russian"
    ARABIC = "ar", "Arabic"
    FRENCH = "fr", "French"
    ASL = "ase", "American Sign Language"


class PracticeProfile(models.Model):
    """What the practice says about itself (stated, not measured), edited by its admin."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="directory_profile"
    )
    listed = models.BooleanField(
        default=True, help_text="Show the practice in therapists' directory search."
    )
    telehealth = models.BooleanField(default=True, help_text="Sees clients by secure video.")
    in_person = models.BooleanField(default=False, help_text="Sees clients at its address.")
    specialties = models.JSONField(default=list, blank=True, help_text="Specialty codes.")
    languages = models.JSONField(default=list, blank=True, help_text="Language codes.")
    prescribers = models.JSONField(
        default=list,
        blank=True,
        help_text="[{name, credentials, board_certification, training}], as stated by the practice.",
    )
    about = models.TextField(blank=True, max_length=NOTE)
    how_to_refer = models.TextField(blank=True, max_length=NOTE)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Directory profile of {self.organisation}"


class PracticeMetrics(models.Model):
    """The measured figures of one practice over the last period, with their sample sizes.

    Written only by ``actions.recompute_metrics``. A figure is None when its sample is
    smaller than ``metrics.MIN_SAMPLE`` (the pages say "not enough data yet").
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="directory_metrics"
    )
    computed_at = models.DateTimeField()
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    response_n = models.PositiveIntegerField(default=0)
    response_median_hours = models.FloatField(null=True)
    response_p90_hours = models.FloatField(null=True)
    offer_n = models.PositiveIntegerField(default=0)
    offer_median_days = models.FloatField(null=True)
    visit_n = models.PositiveIntegerField(default=0)
    visit_median_days = models.FloatField(null=True)
    notes_n = models.PositiveIntegerField(default=0)
    notes_share = models.FloatField(null=True)
    messages_n = models.PositiveIntegerField(default=0)
    messages_median_hours = models.FloatField(null=True)
    experience_n = models.PositiveIntegerField(default=0)
    heard_share = models.FloatField(null=True)
    time_share = models.FloatField(null=True)

    def __str__(self) -> str:
        return f"Measured figures of {self.organisation}"


class DirectoryClock(models.Model):
    """The one row that says when the next nightly recompute is planned (one chain at a time)."""

    next_run_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Directory recompute planned for {self.next_run_on}"


class ExperienceCheck(models.Model):
    """A client's optional answers after a visit: felt heard, had enough time.

    Kept so the client is not asked again for the same visit; never shown per client
    or per visit, only aggregated per practice (``metrics.experience``).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="+"
    )
    visit_number = models.PositiveSmallIntegerField()
    felt_heard = models.BooleanField(null=True)
    enough_time = models.BooleanField(null=True)
    answered_at = models.DateTimeField()
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        indexes: ClassVar = [models.Index(fields=["organisation", "answered_at"])]

    def __str__(self) -> str:
        return f"Experience check {self.public_id}"


#: Most characters a prescriber line (name, credentials, training) may have.
PRESCRIBER_FIELD_MAX = LINE
