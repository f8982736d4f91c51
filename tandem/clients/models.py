"""Clients (patients) and their care teams. Everything here is PHI."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from tandem.core import phones
from tandem.core.roles import Role
from tandem.core.usstates import STATE_CHOICES
from tandem.organisations.models import Organisation


class Client(models.Model):
    """An adult in therapy whose care Tandem coordinates."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="client_record",
        help_text="The client's own portal account, once they have one.",
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    state_of_residence = models.CharField(max_length=2, choices=STATE_CHOICES, blank=True)
    # Whom to call if the client is in danger during a telehealth visit; the client keeps it.
    emergency_contact_name = models.CharField(max_length=100, blank=True)
    emergency_contact_relationship = models.CharField(max_length=50, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def emergency_contact_tel(self) -> str:
        """Return the emergency contact's number as a ``tel:`` target."""
        return phones.tel(self.emergency_contact_phone)


class CareTeamMember(models.Model):
    """A clinician or coordinator who works with the client, on behalf of an organisation."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_assignments"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="care_assignments"
    )
    role = models.CharField(
        max_length=20,
        choices=[(r.value, r.label) for r in (Role.THERAPIST, Role.PRESCRIBER, Role.COORDINATOR)],
    )
    is_primary_therapist = models.BooleanField(default=False)
    started_on = models.DateField(auto_now_add=True)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["client", "user", "role"],
                condition=models.Q(ended_on__isnull=True),
                name="clients_careteam_active_unique",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(is_primary_therapist=True, ended_on__isnull=True),
                name="clients_careteam_one_primary_therapist",
            ),
        ]
        indexes: ClassVar = [
            # A person's current seats, whole in the index (no table read): the registry's
            # caseload, its first seat's practice per client, and the access rule's
            # "is on this client's team" (``access.on_care_team``) are each a range of it.
            models.Index(
                fields=["user", "client", "organisation", "id"],
                condition=models.Q(ended_on__isnull=True),
                name="clients_careteam_seat_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} for client {self.client.public_id}"
