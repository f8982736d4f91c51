"""In-app notifications. Their text is fixed per kind and never carries PHI."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    RELEASE_TO_SIGN = "release_to_sign", "A release is waiting for your signature"
    RELEASE_REVOKED = "release_revoked", "A release was revoked"
    RELEASE_SIGNED = "release_signed", "A release was signed"
    RELEASE_EXPIRING = "release_expiring", "A release expires soon"
    REFERRAL_UPDATE = "referral_update", "You have a new referral update"
    REFERRAL_OVERDUE = "referral_overdue", "A referral is past its response target"
    REFERRAL_URGENT = "referral_urgent", "An urgent referral needs a response within hours"
    CONSULT_NOTE = "consult_note", "A consultation note is ready for you"
    CONSULT_NOTE_HELD = "consult_note_held", "A consultation note could not be delivered"
    MEDICATION_UPDATE = "medication_update", "A client's medication was updated"
    CHECKIN_REQUEST = "checkin_request", "A progress check-in is requested"
    CHECKIN_OVERDUE = "checkin_overdue", "A progress check-in is overdue"
    CHECKIN_ANSWERED = "checkin_answered", "A progress update arrived"
    CARE_MESSAGE = "care_message", "You have a new secure message"
    SAFETY_ALERT = "safety_alert", "A safety alert needs your acknowledgement now"
    SAFETY_ESCALATION = "safety_escalation", "An unacknowledged safety alert was escalated to you"
    QUESTIONNAIRE_FOLLOW_UP = (
        "questionnaire_follow_up",
        "A questionnaire answer needs your follow-up",
    )
    ON_CALL_GAP = "on_call_gap", "The on-call rota has a gap"
    VISIT_DUE = "visit_due", "A follow-up visit is due and not booked"
    BOOKING_INVITATION = "booking_invitation", "A practice invites you to book a visit"
    GENERAL = "general", "You have a new update"


class Notification(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    link = models.CharField(max_length=300, help_text="A path inside Tandem; needs sign-in.")
    reference = models.CharField(
        max_length=12,
        blank=True,
        help_text="A short random reference such as R-7Q2K: useful to the reader, identifies no one.",
    )
    # The client's primary key, not a foreign key: clients sit above notifications.
    about = models.BigIntegerField(
        null=True,
        blank=True,
        help_text=(
            "The client it is about (their record's key). The app names the client only to a "
            "reader the access policy lets see them; emails never do."
        ),
    )
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notifications_dedupe",
            )
        ]
        indexes: ClassVar = [
            # A person's notifications newest first (selectors.notifications_for), and the
            # unread badge on every page (selectors.unread_count): both read one person's rows.
            models.Index(
                fields=["recipient", "-created_at", "-id"], name="notification_list_order_idx"
            ),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
