"""Practices and who works in them."""

import uuid
import zoneinfo
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from tandem.accounts.models import validate_states
from tandem.core.roles import Role
from tandem.core.usstates import STATE_CHOICES


def validate_time_zone(value: str) -> None:
    """Accept an IANA time zone name such as America/New_York."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not a known time zone; use an IANA name such as America/New_York.",
            params={"value": value},
        )


class OrganisationKind(models.TextChoices):
    PSYCHIATRIC_PRACTICE = "psychiatric", "Psychiatric practice"
    THERAPY_PRACTICE = "therapy", "Therapy practice"


#: Which membership roles each kind of organisation can hold.
ROLES_BY_KIND: dict[str, frozenset[str]] = {
    OrganisationKind.PSYCHIATRIC_PRACTICE: frozenset(
        {Role.PRESCRIBER, Role.COORDINATOR, Role.PRACTICE_ADMIN}
    ),
    OrganisationKind.THERAPY_PRACTICE: frozenset({Role.THERAPIST, Role.PRACTICE_ADMIN}),
}


class Organisation(models.Model):
    """A psychiatric practice, or a therapy practice (a solo therapist is a practice of one)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    holiday_country = models.CharField(
        max_length=2, default="US", help_text="ISO country code of the holiday calendar."
    )
    holiday_subdivision = models.CharField(
        max_length=10, default="MA", blank=True, help_text="State whose holidays are observed."
    )
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, choices=STATE_CHOICES, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    website = models.URLField(blank=True)
    telehealth_states = models.JSONField(
        default=list,
        blank=True,
        help_text="States where the practice sees clients by telehealth (two-letter codes).",
    )
    treatment_disclosures_without_release = models.BooleanField(
        default=False,
        help_text=(
            "Allow treatment-purpose disclosures to other treating providers without a release "
            "(45 CFR 164.506 permits it). Off by default: Tandem's model is 'with client consent'. "
            "Never applies to psychotherapy notes or 42 CFR Part 2 records."
        ),
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.telehealth_states:
            validate_states(self.telehealth_states)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """Return the practice's time zone, in which its business rules are evaluated."""
        return zoneinfo.ZoneInfo(self.time_zone)


class Membership(models.Model):
    """A person's role in an organisation. Roles come only from memberships (and client records)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    is_on_call = models.BooleanField(
        default=False, help_text="Prescriber who receives crisis alerts for the practice."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="organisations_membership_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(role=Role.CLIENT), name="organisations_membership_not_client"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} at {self.organisation}"

    def clean(self) -> None:
        super().clean()
        allowed = ROLES_BY_KIND.get(self.organisation.kind, frozenset())
        if self.role not in allowed:
            raise ValidationError(
                {
                    "role": f"A {self.organisation.get_kind_display().lower()} has no {self.role} role."
                }
            )


#: How long an invitation to join a practice may be accepted.
INVITATION_DAYS = 7


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class Invitation(models.Model):
    """An offer of a role in a practice, which only the person at ``email`` may accept.

    The emailed link carries the public id signed with the site's key (see
    ``tandem.organisations.invitations``), so nothing secret is stored here; the
    person must also be signed in with a verified ``email`` to answer. A role is
    held only once they accept (``membership``).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    #: Lower-cased, so one address is one invitee however it was typed.
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            # One open offer per address and role: a second click finds the first.
            models.UniqueConstraint(
                fields=["organisation", "email", "role"],
                condition=models.Q(status="pending"),
                name="organisations_invitation_one_pending",
            ),
            models.CheckConstraint(
                condition=~models.Q(role=Role.CLIENT), name="organisations_invitation_not_client"
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.public_id}"

    def is_open(self, now: Any) -> bool:
        """Return whether the invitation may still be accepted or declined at ``now``."""
        return self.status == InvitationStatus.PENDING and now < self.expires_at

    def shown_status(self, now: Any) -> str:
        """Return the status a reader should see: a pending invitation past its date has expired."""
        if self.status == InvitationStatus.PENDING and now >= self.expires_at:
            return str(InvitationStatus.EXPIRED.label)
        return str(self.get_status_display())
