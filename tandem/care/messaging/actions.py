"""Writes of secure messages between the clinicians of a care team: threads, replies, receipts.

A message reaches the other organisations only through the consent decision
point; a question is due within the answering practice's 1-2 business days.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.messaging.models import Message, MessageAttachment, MessageRead, MessageThread
from tandem.care.practice import CareSettings
from tandem.care.sharing import SendResult, calendar_of, require_seat, share, team
from tandem.clients.access import CLINICIAN_ROLES
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.categories import Category
from tandem.consent.decision import Party
from tandem.consent.uploads import check_pdf
from tandem.core.roles import Role
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.organisations.models import Organisation

#: First bytes of the image formats accepted, by content type.
_IMAGE_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
_IMAGE_EXTENSIONS = {"image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}


def check_attachment(upload: UploadedFile, field: str = "attachments") -> str:
    """Return the checked content type of a PDF, PNG or JPEG upload; raise ValidationError otherwise.

    Neither the name nor the browser's content type is trusted alone: the first
    bytes must be those of the format claimed.
    """
    content_type = (upload.content_type or "").lower()
    if content_type in ("application/pdf", "application/x-pdf"):
        check_pdf(upload, field)
        return "application/pdf"
    if content_type not in _IMAGE_MAGIC:
        raise ValidationError({field: "Attach a PDF, PNG or JPEG file."})
    cap = settings.MAX_UPLOAD_BYTES
    if not upload.size:
        raise ValidationError({field: "The file is empty."})
    if upload.size > cap:
        raise ValidationError(
            {field: f"The file is larger than {cap // (1024 * 1024)} MB; attach a smaller one."}
        )
    if not (upload.name or "").lower().endswith(_IMAGE_EXTENSIONS[content_type]):
        raise ValidationError({field: "The file's name does not match its type."})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in _IMAGE_MAGIC[content_type]):
        raise ValidationError({field: "That file is not the image it claims to be."})
    return content_type


def _response_due(client: Client, author_org_id: int, now: dt.datetime) -> dt.datetime:
    """Return when a question is due: the answering practice's 1-2 business days."""
    others = [
        m.organisation for m in team(client, CLINICIAN_ROLES) if m.organisation_id != author_org_id
    ]
    org = others[0] if others else None
    if org is None:
        org = Organisation.objects.get(pk=author_org_id)
    settings_row = CareSettings.objects.filter(organisation=org).first()
    days = settings_row.message_response_days if settings_row else 2
    return calendar_of(org).due(now, days)


def _post(
    actor: User,
    thread: MessageThread,
    member: CareTeamMember,
    body: str,
    is_question: bool,
    uploads: list[UploadedFile],
) -> tuple[Message, SendResult]:
    if not body.strip():
        raise ValidationError({"body": "Write the message."})
    checked = [(u, check_attachment(u)) for u in uploads]
    now = timezone.now()
    message = Message.objects.create(
        thread=thread,
        client=thread.client,
        author=actor,
        organisation=member.organisation,
        body=body.strip(),
        is_question=is_question,
        due_at=_response_due(thread.client, member.organisation_id, now) if is_question else None,
        created_at=now,
    )
    for upload, content_type in checked:
        attachment = MessageAttachment(
            message=message,
            content_type=content_type,
            size=upload.size or 0,
            title=(upload.name or "attachment")[:200],
        )
        ext = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[content_type]
        attachment.file.save(f"{attachment.public_id}.{ext}", upload, save=False)
        attachment.save()
    # A reply from another organisation answers the open questions asked of it.
    Message.objects.filter(thread=thread, is_question=True, answered_at__isnull=True).exclude(
        organisation=member.organisation
    ).exclude(pk=message.pk).update(answered_at=now, answered_by_organisation=member.organisation)
    MessageRead.objects.create(message=message, user=actor, read_at=now)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=message,
        client=thread.client,
        organisation=member.organisation,
        detail={
            "thread": str(thread.public_id),
            "attachments": len(checked),
            "question": is_question,
        },
    )
    outcomes = share(
        actor=actor,
        client=thread.client,
        obj=message,
        category=Category.CLINICIAN_MESSAGES,
        description=f"Clinician message in thread {thread.reference}",
        source=Party(member.organisation_id, actor.pk),
        members=[m for m in team(thread.client) if m.user_id != actor.pk],
    )
    result = SendResult.of(outcomes)
    same_org = [
        m.user
        for m in team(thread.client)
        if m.organisation_id == member.organisation_id and m.user_id != actor.pk
    ]
    notify(
        [m.user for m in result.delivered] + same_org,
        NotificationKind.CARE_MESSAGE,
        reverse("care:thread", kwargs={"thread_id": thread.public_id}),
        reference=thread.reference,
        about=thread.client_id,
    )
    return message, result


@transaction.atomic
def start_thread(
    *,
    actor: User,
    client: Client,
    subject: str,
    body: str,
    is_question: bool = False,
    uploads: list[UploadedFile] | None = None,
) -> tuple[MessageThread, SendResult]:
    """Start a secure thread about the client with the rest of the care team."""
    member = require_seat(
        actor, client, (*CLINICIAN_ROLES, Role.COORDINATOR), "Not on the care team."
    )
    if not subject.strip():
        raise ValidationError({"subject": "Give the thread a subject (no client names needed)."})
    thread = MessageThread.objects.create(
        client=client, subject=subject.strip()[:200], started_by=actor
    )
    _, result = _post(actor, thread, member, body, is_question, uploads or [])
    return thread, result


@transaction.atomic
def reply(
    *,
    actor: User,
    thread: MessageThread,
    body: str,
    is_question: bool = False,
    uploads: list[UploadedFile] | None = None,
) -> tuple[Message, SendResult]:
    """Reply in a thread; a reply from the other organisation answers its open questions."""
    member = require_seat(
        actor, thread.client, (*CLINICIAN_ROLES, Role.COORDINATOR), "Not on the care team."
    )
    return _post(actor, thread, member, body, is_question, uploads or [])


def mark_read(*, actor: User, messages: list[Message]) -> int:
    """Record read receipts for the messages shown to the actor; return how many were new."""
    now = timezone.now()
    rows = [
        MessageRead(message=m, user=actor, read_at=now) for m in messages if m.author_id != actor.pk
    ]
    return len(MessageRead.objects.bulk_create(rows, ignore_conflicts=True))
