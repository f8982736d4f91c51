"""The public side of a practice: questions sent through the contact form, and the appointment bot.

An intake session holds a person's answers to the bot while they go; it is
found by a random key kept in their browser session (or by their account once
they have one), never by anything in the URL. Until the person proves their
email address the answers stay here and nowhere else: no account, client
record, questionnaire result or safety alert exists yet, and an unverified
session is deleted a week after its last change.
"""

import secrets
import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from tandem.clients.models import Client
from tandem.organisations.models import Organisation


def new_token() -> str:
    """Return a random, unguessable token for a link sent by email."""
    return secrets.token_urlsafe(32)


class ContactMessage(models.Model):
    """A question sent from a practice's public page. It may hold PHI despite the warning."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contact_messages"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=30, blank=True)
    question = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    #: A random key the form carries, so a double click or a resubmitted page sends one message.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"Message {self.public_id}"


class Invitation(models.Model):
    """A link a coordinator sends a referred client, opening the bot pre-filled."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="invitations"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Invitation {self.public_id}"


class IntakeSession(models.Model):
    """One person's way through the appointment bot for one practice."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="intake_sessions",
    )
    invitation = models.ForeignKey(Invitation, null=True, blank=True, on_delete=models.SET_NULL)
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answers = models.JSONField(default=dict, help_text="Step code → the answers given.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: SHA-256 of the one-time link last emailed to the person's address (the link itself
    #: is never stored); empty when none is outstanding.
    verify_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    verify_sent_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Intake {self.public_id}"
