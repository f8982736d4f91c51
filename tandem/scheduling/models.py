"""Prescribers' availability and appointments.

No slot is ever booked twice: every active appointment (held, awaiting
confirmation, confirmed) claims the 15-minute units it occupies, buffer
included, and the database refuses a second claim on a unit through a unique
constraint — on SQLite and PostgreSQL alike. On PostgreSQL an exclusion
constraint on the time range backs it up.
"""

import datetime as dt
import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from tandem.clients.models import Client
from tandem.core import phones
from tandem.organisations.models import Organisation
from tandem.referrals.models import Referral

UNIT = dt.timedelta(minutes=15)


class ConfirmationRule(models.TextChoices):
    AUTOMATIC = "automatic", "Confirm automatically once payment information is on file"
    COORDINATOR = "coordinator", "A coordinator confirms each new appointment"


class SchedulingSettings(models.Model):
    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="scheduling_settings"
    )
    hold_minutes = models.PositiveSmallIntegerField(default=15)
    waitlist_hold_minutes = models.PositiveSmallIntegerField(
        default=10, help_text="How long an earlier time offered from the waitlist is held."
    )
    confirmation_rule = models.CharField(
        max_length=20, choices=ConfirmationRule.choices, default=ConfirmationRule.COORDINATOR
    )
    cancellation_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Clients may cancel or reschedule up to this many hours before."
    )
    reminder_hours = models.JSONField(
        default=list, help_text="Hours before the visit, e.g. [48, 2]."
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        default=24, help_text="No slot is offered sooner than this."
    )
    video_link = models.URLField(
        blank=True, help_text="Set by the practice; Tandem hosts no video."
    )

    def __str__(self) -> str:
        return f"Scheduling settings of {self.organisation}"


class AppointmentType(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="appointment_types"
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    duration_minutes = models.PositiveSmallIntegerField()
    buffer_minutes = models.PositiveSmallIntegerField(default=0)
    is_new_client = models.BooleanField(default=False)
    is_active = models.BooleanField(
        default=True, help_text="Inactive types are no longer offered; booked visits keep theirs."
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "code"], name="appttype_unique_code"),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=15), name="appttype_min_duration"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_minutes} min)"

    @property
    def blocks(self) -> dt.timedelta:
        """Return how long the prescriber's calendar is taken: the visit plus its buffer."""
        return dt.timedelta(minutes=self.duration_minutes + self.buffer_minutes)


class WeeklyHours(models.Model):
    """A recurring block when a prescriber sees clients, in the practice's local time."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_hours"
    )
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday.")
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(starts__lt=models.F("ends")), name="hours_order"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.starts}-{self.ends}"


class TimeOff(models.Model):
    """An exception: the prescriber is away (or the hours are otherwise blocked)."""

    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")), name="timeoff_order"
            ),
        ]

    def __str__(self) -> str:
        return f"Time off {self.starts_at:%Y-%m-%d}"


class AppointmentStatus(models.TextChoices):
    HELD = "held", "Held for you"
    PENDING = "pending", "Waiting for the practice to confirm"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Hold expired"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"


#: Statuses that occupy the prescriber's calendar.
ACTIVE_STATUSES = (AppointmentStatus.HELD, AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)


class Appointment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="appointments"
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    # No index of its own: the timeline's (client, time, id) index leads with it.
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    blocked_until = models.DateTimeField(help_text="End of the visit plus its buffer.")
    status = models.CharField(max_length=20, choices=AppointmentStatus.choices, db_index=True)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    payment_provider = models.CharField(max_length=30, blank=True)
    payment_reference = models.CharField(
        max_length=200, blank=True, help_text="The provider's reference; never card data."
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering: ClassVar = ["starts_at"]
        indexes: ClassVar = [
            models.Index(fields=["prescriber", "starts_at"], name="appt_prescriber_start_idx"),
            # The client's timeline, newest first, paged by (time, id): ``Query.window``.
            models.Index(fields=["client", "starts_at", "id"], name="appt_client_timeline_idx"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at"))
                & models.Q(ends_at__lte=models.F("blocked_until")),
                name="appt_time_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Appointment {self.public_id}"


class AppointmentHistory(models.Model):
    """One status change of an appointment: from what, to what, by whom, when (``states.move``)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=AppointmentStatus.choices)
    to_status = models.CharField(max_length=20, choices=AppointmentStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["at", "pk"]
        verbose_name_plural = "appointment histories"

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"


class SlotClaim(models.Model):
    """One 15-minute unit of a prescriber's calendar taken by an active appointment."""

    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    unit_start = models.DateTimeField()
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="claims")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["prescriber", "unit_start"], name="slot_claim_once"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_start:%Y-%m-%d %H:%M}"


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Confirmation with calendar invite"
    REMINDER = "reminder", "Reminder"


class Reminder(models.Model):
    """One message about an appointment, sent once: the confirmation, or a reminder N hours before.

    The unique constraint and ``sent_at`` make sending idempotent: the row is
    marked sent in the same transaction that queues the email, so a worker that
    restarts (or a task that runs twice) finds it sent and does nothing.
    """

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(
        max_length=20, choices=MessageKind.choices, default=MessageKind.REMINDER
    )
    hours_before = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["appointment", "kind", "hours_before"], name="reminder_once_per_offset"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.hours_before} h before"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for an earlier time"
    OFFERED = "offered", "An earlier time is held for you"
    BOOKED = "booked", "Moved to an earlier time"
    ENDED = "ended", "No longer waiting"


class WaitlistEntry(models.Model):
    """A client who holds an appointment and asked to be offered an earlier one."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    current = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    offered = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["current"],
                condition=models.Q(status__in=["waiting", "offered"]),
                name="waitlist_one_open_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"Waitlist {self.public_id}"


class LocationAttestation(models.Model):
    """The client's check-in for a telehealth visit: where they are now, and a number to call back.

    The prescriber needs the physical address to send help there in an
    emergency, and the callback number if the video drops. PHI: shown only on
    the appointment page (each read audited), never in a URL, a log or an email.
    """

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="attestations"
    )
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2)
    callback_phone = models.CharField(max_length=30, blank=True)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    attested_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"In {self.state} at {self.attested_at:%Y-%m-%d %H:%M}"

    @property
    def address(self) -> str:
        """Return the address as one line: street, city, state."""
        return ", ".join(part for part in (self.street, self.city, self.state) if part)

    @property
    def callback_tel(self) -> str:
        """Return the callback number as a ``tel:`` target."""
        return phones.tel(self.callback_phone)


class BookingInvitation(models.Model):
    """A practice's invitation to the client of an accepted referral to book a first visit.

    One per referral (the unique constraint makes a double click send one
    invitation). The client books a real slot of the practice from the portal; the
    referral moves to scheduled when that visit is confirmed (``loop.mark_referral_scheduled``).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.OneToOneField(
        Referral, on_delete=models.CASCADE, related_name="booking_invitation"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["client", "created_at"], name="booking_invite_client_idx"),
        ]

    def __str__(self) -> str:
        return f"Booking invitation {self.public_id}"
