"""Secure message threads between the clinicians of a care team."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from tandem.care.references import thread_ref
from tandem.clients.models import Client
from tandem.core.textlimits import MESSAGE
from tandem.organisations.models import Organisation


class MessageThread(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=8, default=thread_ref, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="message_threads")
    subject = models.CharField(max_length=200)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "care"
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"Thread {self.reference}"


class Message(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(MessageThread, on_delete=models.PROTECT, related_name="messages")
    # No index of its own: the timeline's (client, time, id) index leads with it.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+", db_index=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=MESSAGE)
    is_question = models.BooleanField(default=False)
    due_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        app_label = "care"
        ordering: ClassVar = ["created_at", "pk"]
        indexes: ClassVar = [
            # The client's timeline, newest first, paged by (time, id): ``Query.window``.
            models.Index(fields=["client", "created_at", "id"], name="care_msg_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"Message in {self.thread}"


class MessageAttachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="care/messages/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    title = models.CharField(max_length=200)

    class Meta:
        app_label = "care"

    def __str__(self) -> str:
        return self.title


class MessageRead(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        app_label = "care"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["message", "user"], name="care_message_read_once")
        ]

    def __str__(self) -> str:
        return f"Read receipt for {self.message}"
