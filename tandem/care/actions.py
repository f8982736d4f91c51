"""Writes of collaboration: consult notes, medications, check-ins, messages, the visit plan.

Each write is atomic, writes its audit row inside the transaction, shares with
the other organisations of the care team only through the consent decision
point (``sharing.share`` → ``consent.actions.disclose``), and notifies — with
no PHI, only a link — after commit. Crisis coordination lives in ``crisis``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care import medications
from tandem.care.access import CLINICIAN_ROLES, seat
from tandem.care.models import (
    Addendum,
    CareSettings,
    Change,
    CheckInCadence,
    CheckInStatus,
    ConsultNote,
    DeliveryStatus,
    Engagement,
    MedicationChange,
    MedicationEvent,
    Message,
    MessageAttachment,
    MessageRead,
    MessageThread,
    NoteDelivery,
    NoteStatus,
    ProgressCheckIn,
    VisitPlan,
    WorkUp,
)
from tandem.care.sharing import Outcome, calendar_of, share, team
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.categories import Category
from tandem.consent.decision import Party
from tandem.consent.uploads import check_pdf
from tandem.core.roles import Role
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.referrals import icd10


class NoteLockedError(Exception):
    """A signed note cannot change; corrections are addenda."""


class StaleError(Exception):
    """Someone else saved a newer version while this one was being edited."""


@dataclass
class SendResult:
    """Who received an item, and who did not and why (the consent decision's message)."""

    delivered: list[CareTeamMember] = field(default_factory=list)
    held: list[tuple[CareTeamMember, str]] = field(default_factory=list)

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> SendResult:
        result = cls()
        for o in outcomes:
            if o.delivered:
                result.delivered.append(o.member)
            else:
                result.held.append((o.member, o.decision.message))
        return result


def _require_seat(actor: User, client: Client, roles: tuple[str, ...], what: str) -> CareTeamMember:
    member = seat(actor, client, roles)
    if member is None:
        raise PermissionError(what)
    return member


def _later(fn: Any, *args: Any, run_after: dt.datetime | None = None) -> None:
    """Enqueue a task with ids once the transaction commits."""

    def go() -> None:
        task = fn.using(run_after=run_after) if run_after is not None else fn
        task.enqueue(*args)

    transaction.on_commit(go)


# --- Consultation notes ------------------------------------------------------------------

NOTE_FIELDS = (
    "diagnoses",
    "formulation",
    "medication_recommendations",
    "therapy_focus",
    "work_up",
    "work_up_notes",
    "follow_up_plan",
    "follow_up_cadence",
)


def _clean_note(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    codes = [icd10.normalise(c) for c in data.get("diagnoses", []) if str(c).strip()]
    unknown = [c for c in codes if icd10.lookup(c) is None]
    if unknown:
        errors["diagnoses"] = [
            f"Not a billable ICD-10-CM code Tandem accepts: {', '.join(unknown)}. "
            "Pick codes from the search."
        ]
    clean["diagnoses"] = list(dict.fromkeys(codes))
    work_up = list(dict.fromkeys(data.get("work_up", [])))
    if set(work_up) - set(WorkUp.values):
        errors["work_up"] = ["Choose work-up items from the list."]
    clean["work_up"] = work_up
    for key in NOTE_FIELDS:
        if key not in ("diagnoses", "work_up"):
            clean[key] = str(data.get(key, "")).strip()
    return clean, errors


@transaction.atomic
def save_note(
    *,
    actor: User,
    client: Client,
    data: dict[str, Any],
    note: ConsultNote | None = None,
    expected_version: int | None = None,
) -> ConsultNote:
    """Create or update the prescriber's draft note. A signed note is refused: add an addendum."""
    member = _require_seat(
        actor, client, (Role.PRESCRIBER,), "Only the client's prescriber writes consult notes."
    )
    if note is not None:
        note = ConsultNote.objects.select_for_update().get(pk=note.pk)
        if note.status == NoteStatus.SIGNED:
            raise NoteLockedError(
                "This note is signed and locked; it cannot be edited. "
                "Add an addendum to correct or add to it."
            )
        if note.author_id != actor.pk:
            raise PermissionError("Only the note's author edits the draft.")
        if expected_version is not None and expected_version != note.version:
            raise StaleError("The draft was saved elsewhere a moment ago; reload it and try again.")
    clean, errors = _clean_note(data)
    if errors:
        raise ValidationError(errors)
    created = note is None
    if note is None:
        note = ConsultNote(client=client, author=actor, organisation=member.organisation)
    else:
        note.version += 1
    for key, value in clean.items():
        setattr(note, key, value)
    note.save()
    record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=note,
        client=client,
        organisation=member.organisation,
        detail={"status": note.status, "fields": sorted(k for k, v in clean.items() if v)},
    )
    return note


def _note_link(note: ConsultNote) -> str:
    return reverse("care:note", kwargs={"note_id": note.public_id})


def _deliver_note(actor: User, note: ConsultNote, members: list[CareTeamMember]) -> SendResult:
    outcomes = share(
        actor=actor,
        client=note.client,
        obj=note,
        category=Category.CONSULT_NOTES,
        description=f"Initial consultation note {note.reference}",
        source=Party(note.organisation_id, note.author_id),
        members=members,
    )
    now = timezone.now()
    for o in outcomes:
        NoteDelivery.objects.update_or_create(
            note=note,
            recipient=o.member.user,
            defaults={
                "recipient_organisation": o.member.organisation,
                "status": DeliveryStatus.DELIVERED if o.delivered else DeliveryStatus.HELD,
                "reason": o.decision.reason.value,
                "message": o.decision.message,
                "decided_at": now,
            },
        )
    result = SendResult.of(outcomes)
    notify(
        [m.user for m in result.delivered],
        NotificationKind.CONSULT_NOTE,
        _note_link(note),
        reference=note.reference,
    )
    if result.held:
        notify(
            [note.author],
            NotificationKind.CONSULT_NOTE_HELD,
            _note_link(note),
            reference=note.reference,
        )
    return result


@transaction.atomic
def sign_and_send(*, actor: User, note: ConsultNote) -> SendResult:
    """Sign and lock the note, then share it with the therapist(s) as consent allows.

    A recipient no current release covers gets nothing: the note is held for them
    and the result (and the note page) says why. When it reached a therapist and
    the client's referral to this practice is at "first visit done", the loop moves
    to "consult note sent".
    """
    note = ConsultNote.objects.select_for_update().select_related("client").get(pk=note.pk)
    if note.author_id != actor.pk:
        raise PermissionError("Only the note's author signs it.")
    if note.status == NoteStatus.SIGNED:
        raise NoteLockedError("This note is already signed and sent.")
    errors: dict[str, list[str]] = {}
    if not note.diagnoses:
        errors["diagnoses"] = ["Give at least one diagnostic impression (ICD-10-CM)."]
    if not note.formulation:
        errors["formulation"] = ["Write the formulation."]
    if not note.follow_up_plan:
        errors["follow_up_plan"] = ["Write the follow-up plan."]
    if errors:
        raise ValidationError(errors)
    note.status = NoteStatus.SIGNED
    note.signed_at = timezone.now()
    note.save(update_fields=["status", "signed_at", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=note,
        client=note.client,
        organisation=note.organisation,
        detail={"status": "signed"},
    )
    result = _deliver_note(actor, note, team(note.client, (Role.THERAPIST,)))
    if result.delivered:
        _close_referral_loop(actor, note)
    return result


def _close_referral_loop(actor: User, note: ConsultNote) -> None:
    from tandem.referrals import actions as referral_actions
    from tandem.referrals.models import Referral, ReferralStatus

    for referral in Referral.objects.filter(
        client=note.client,
        to_organisation_id=note.organisation_id,
        status=ReferralStatus.FIRST_VISIT_DONE,
    ):
        referral_actions.transition(
            actor=actor,
            referral=referral,
            target=ReferralStatus.CONSULT_NOTE_SENT,
            note=f"Consultation note {note.reference} sent.",
        )


@transaction.atomic
def send_again(*, actor: User, note: ConsultNote) -> SendResult:
    """Ask consent again for every recipient the note was held for (after a new release)."""
    note = ConsultNote.objects.select_for_update().select_related("client").get(pk=note.pk)
    if note.author_id != actor.pk or note.status != NoteStatus.SIGNED:
        raise PermissionError("Only the author sends a signed note again.")
    held_users = set(
        note.deliveries.filter(status=DeliveryStatus.HELD).values_list("recipient_id", flat=True)
    )
    members = [m for m in team(note.client, (Role.THERAPIST,)) if m.user_id in held_users]
    result = _deliver_note(actor, note, members)
    if result.delivered:
        _close_referral_loop(actor, note)
    return result


@transaction.atomic
def add_addendum(*, actor: User, note: ConsultNote, text: str) -> Addendum:
    """Add a dated addendum to a signed note and share it with those who received the note."""
    note = ConsultNote.objects.select_for_update().select_related("client").get(pk=note.pk)
    if note.author_id != actor.pk:
        raise PermissionError("Only the note's author adds addenda.")
    if note.status != NoteStatus.SIGNED:
        raise ValidationError({"text": "A draft is edited directly; addenda are for signed notes."})
    if not text.strip():
        raise ValidationError({"text": "Write the addendum."})
    addendum = Addendum.objects.create(note=note, author=actor, text=text.strip())
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=addendum,
        client=note.client,
        organisation=note.organisation,
        detail={"note": str(note.public_id)},
    )
    _deliver_note(actor, note, team(note.client, (Role.THERAPIST,)))
    return addendum


@transaction.atomic
def acknowledge_note(*, actor: User, note: ConsultNote) -> NoteDelivery:
    """Record that the therapist received and read the note (once)."""
    delivery = (
        NoteDelivery.objects.select_for_update()
        .filter(note=note, recipient=actor, status=DeliveryStatus.DELIVERED)
        .first()
    )
    if delivery is None or seat(actor, note.client) is None:
        raise PermissionError("Only a care-team member the note reached acknowledges it.")
    if delivery.acknowledged_at is None:
        delivery.acknowledged_at = timezone.now()
        delivery.save(update_fields=["acknowledged_at"])
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=note,
            client=note.client,
            detail={"acknowledged": True},
        )
    return delivery


# --- Medications -------------------------------------------------------------------------


def active_medications(events: list[MedicationEvent]) -> dict[str, MedicationEvent]:
    """Return the latest event of each drug still taken, from events in any order."""
    current: dict[str, MedicationEvent] = {}
    for event in sorted(events, key=lambda e: (e.occurred_at, e.pk)):
        if event.change == MedicationChange.STOP:
            current.pop(event.drug, None)
        else:
            current[event.drug] = event
    return current


@transaction.atomic
def record_medication(
    *,
    actor: User,
    client: Client,
    change: str,
    drug: str,
    dose: str | Decimal | None = None,
    unit: str = "",
    frequency: str = "",
    reason: str = "",
    watch_for: str = "",
) -> tuple[MedicationEvent, SendResult]:
    """Record a start, dose change or stop, and tell the therapist at once (no details in the note)."""
    member = _require_seat(
        actor, client, (Role.PRESCRIBER,), "Only the client's prescriber records medications."
    )
    Client.objects.select_for_update().filter(pk=client.pk).first()
    errors: dict[str, list[str]] = {}
    found = medications.lookup(drug)
    if change not in MedicationChange.values:
        errors["change"] = ["Choose start, dose change or stop."]
    if found is None:
        errors["drug"] = ["Choose the medication from the list (generic names)."]
    current = active_medications(list(MedicationEvent.objects.filter(client=client)))
    amount: Decimal | None = None
    if change in (MedicationChange.START, MedicationChange.DOSE_CHANGE):
        try:
            amount = Decimal(str(dose)) if dose not in (None, "") else None
        except InvalidOperation:
            amount = None
        if amount is None or amount <= 0:
            errors["dose"] = ["Give the dose as a positive number, e.g. 50 or 0.5."]
        if unit not in medications.UNITS:
            errors["unit"] = [f"Choose a unit: {', '.join(medications.UNITS)}."]
        if not frequency.strip():
            errors["frequency"] = ["Say how often, e.g. once daily in the morning."]
    if found is not None and change == MedicationChange.START and found.name in current:
        errors["drug"] = [f"{found.name} is already active; record a dose change instead."]
    if (
        found is not None
        and change in (MedicationChange.DOSE_CHANGE, MedicationChange.STOP)
        and found.name not in current
    ):
        errors["drug"] = [f"{found.name} is not an active medication; record a start first."]
    if change == MedicationChange.STOP and found is not None and found.name in current:
        amount, unit, frequency = current[found.name].dose, current[found.name].unit, ""
    if errors:
        raise ValidationError(errors)
    assert found is not None
    event = MedicationEvent.objects.create(
        client=client,
        prescriber=actor,
        organisation=member.organisation,
        change=change,
        drug=found.name,
        rxcui=found.rxcui,
        dose=amount,
        unit=unit,
        frequency=frequency.strip(),
        reason=reason.strip(),
        watch_for=watch_for.strip(),
        occurred_at=timezone.now(),
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=event,
        client=client,
        organisation=member.organisation,
        detail={"change": change},
    )
    outcomes = share(
        actor=actor,
        client=client,
        obj=event,
        category=Category.MEDICATIONS,
        description=f"Medication update {event.reference}",
        source=Party(member.organisation_id, actor.pk),
        members=team(client, (Role.THERAPIST,)),
    )
    result = SendResult.of(outcomes)
    notify(
        [m.user for m in result.delivered],
        NotificationKind.MEDICATION_UPDATE,
        reverse("care:medications", kwargs={"client_id": client.public_id}),
        reference=event.reference,
    )
    return event, result


# --- Progress check-ins ------------------------------------------------------------------


def _checkin_at(cadence: CheckInCadence, day: dt.date) -> dt.datetime:
    zone = cadence.organisation.zone
    return dt.datetime.combine(day, dt.time(9), tzinfo=zone)


@transaction.atomic
def set_checkin_cadence(
    *,
    actor: User,
    client: Client,
    early_every_days: int,
    early_weeks: int,
    later_every_days: int,
    starts_on: dt.date | None = None,
    answer_within_days: int = 5,
) -> CheckInCadence:
    """Set how often the therapist is asked for progress; the first request goes on ``starts_on``."""
    from tandem.care.tasks import request_checkin

    member = _require_seat(
        actor, client, (Role.PRESCRIBER,), "Only the client's prescriber sets the check-in cadence."
    )
    errors: dict[str, list[str]] = {}
    if not 7 <= early_every_days <= 60:
        errors["early_every_days"] = ["Ask every 7 to 60 days during the first weeks."]
    if not 0 <= early_weeks <= 52:
        errors["early_weeks"] = ["The first phase lasts 0 to 52 weeks."]
    if not 7 <= later_every_days <= 180:
        errors["later_every_days"] = ["Ask every 7 to 180 days afterwards."]
    if not 1 <= answer_within_days <= 14:
        errors["answer_within_days"] = ["Give the therapist 1 to 14 days to answer."]
    starts_on = starts_on or timezone.localdate() + dt.timedelta(days=early_every_days)
    if starts_on < timezone.localdate():
        errors["starts_on"] = ["The first check-in cannot be in the past."]
    if errors:
        raise ValidationError(errors)
    cadence, created = CheckInCadence.objects.select_for_update().get_or_create(
        client=client,
        defaults={
            "set_by": actor,
            "organisation": member.organisation,
            "starts_on": starts_on,
            "early_every_days": early_every_days,
            "early_weeks": early_weeks,
            "later_every_days": later_every_days,
            "answer_within_days": answer_within_days,
        },
    )
    if not created:
        cadence.set_by = actor
        cadence.organisation = member.organisation
        cadence.starts_on = starts_on
        cadence.early_every_days = early_every_days
        cadence.early_weeks = early_weeks
        cadence.later_every_days = later_every_days
        cadence.answer_within_days = answer_within_days
        cadence.version += 1  # timers of the old cadence find a newer version and stop
        cadence.is_active = True
        cadence.save()
    record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=cadence,
        object_id=str(client.public_id),
        client=client,
        organisation=member.organisation,
        detail={"early_every_days": early_every_days, "later_every_days": later_every_days},
    )
    _later(
        request_checkin,
        cadence.pk,
        cadence.version,
        starts_on.isoformat(),
        run_after=_checkin_at(cadence, starts_on),
    )
    return cadence


def _primary_therapists(client: Client) -> list[CareTeamMember]:
    therapists = team(client, (Role.THERAPIST,))
    primary = [m for m in therapists if m.is_primary_therapist]
    return primary or therapists[:1]


CHECKIN_FIELDS = (
    "change",
    "functioning",
    "engagement",
    "adherence_side_effects",
    "concerns",
    "free_text",
)


def _clean_checkin(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    clean = {k: str(data.get(k, "")).strip() for k in CHECKIN_FIELDS}
    if clean["change"] not in Change.values:
        errors["change"] = ["Say how the client has changed since last time."]
    if clean["engagement"] not in Engagement.values:
        errors["engagement"] = ["Say how the client engages in therapy."]
    if not clean["functioning"]:
        errors["functioning"] = [
            "Describe the client's functioning (work, relationships, daily life)."
        ]
    if errors:
        raise ValidationError(errors)
    return clean


def _share_checkin(actor: User, checkin: ProgressCheckIn) -> SendResult:
    outcomes = share(
        actor=actor,
        client=checkin.client,
        obj=checkin,
        category=Category.PROGRESS_UPDATES,
        description=f"Progress update {checkin.reference}",
        source=Party(checkin.organisation_id, actor.pk),
        members=[m for m in team(checkin.client, CLINICIAN_ROLES) if m.user_id != actor.pk],
    )
    result = SendResult.of(outcomes)
    notify(
        [m.user for m in result.delivered],
        NotificationKind.CHECKIN_ANSWERED,
        reverse("care:timeline", kwargs={"client_id": checkin.client.public_id}),
        reference=checkin.reference,
    )
    return result


@transaction.atomic
def answer_checkin(*, actor: User, checkin: ProgressCheckIn, data: dict[str, Any]) -> SendResult:
    """Answer a requested check-in; the answer lands on the timeline for the prescriber."""
    checkin = (
        ProgressCheckIn.objects.select_for_update().select_related("client").get(pk=checkin.pk)
    )
    member = _require_seat(
        actor, checkin.client, (Role.THERAPIST,), "Only the client's therapist answers check-ins."
    )
    if checkin.status == CheckInStatus.ANSWERED:
        raise ValidationError({"__all__": "This check-in was already answered."})
    clean = _clean_checkin(data)
    for key, value in clean.items():
        setattr(checkin, key, value)
    checkin.status = CheckInStatus.ANSWERED
    checkin.answered_at = timezone.now()
    checkin.therapist = actor
    checkin.organisation = member.organisation
    checkin.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=checkin,
        client=checkin.client,
        organisation=member.organisation,
        detail={"status": "answered"},
    )
    return _share_checkin(actor, checkin)


@transaction.atomic
def send_progress_update(
    *, actor: User, client: Client, data: dict[str, Any]
) -> tuple[ProgressCheckIn, SendResult]:
    """Send an unsolicited progress update from the therapist."""
    member = _require_seat(
        actor, client, (Role.THERAPIST,), "Only the client's therapist sends progress updates."
    )
    clean = _clean_checkin(data)
    now = timezone.now()
    checkin = ProgressCheckIn.objects.create(
        client=client,
        therapist=actor,
        organisation=member.organisation,
        unsolicited=True,
        status=CheckInStatus.ANSWERED,
        requested_at=now,
        answered_at=now,
        **clean,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=checkin,
        client=client,
        organisation=member.organisation,
        detail={"unsolicited": True},
    )
    return checkin, _share_checkin(actor, checkin)


# --- Messages ----------------------------------------------------------------------------

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
        from tandem.organisations.models import Organisation

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
    member = _require_seat(
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
    member = _require_seat(
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


# --- Visit plan --------------------------------------------------------------------------


@transaction.atomic
def set_visit_plan(
    *,
    actor: User,
    client: Client,
    psychiatry_every_weeks: int,
    therapy_every_weeks: int,
    next_psychiatry_due: dt.date,
) -> VisitPlan:
    """Set the planned visit rhythm; the coordinator hears when a due follow-up is not booked."""
    from tandem.care.tasks import check_visit_booked

    member = _require_seat(
        actor, client, (Role.PRESCRIBER, Role.COORDINATOR), "Only the practice plans visits."
    )
    errors: dict[str, list[str]] = {}
    if not 1 <= psychiatry_every_weeks <= 26:
        errors["psychiatry_every_weeks"] = ["Plan psychiatric visits every 1 to 26 weeks."]
    if not 1 <= therapy_every_weeks <= 8:
        errors["therapy_every_weeks"] = ["Plan therapy every 1 to 8 weeks."]
    if next_psychiatry_due < timezone.localdate():
        errors["next_psychiatry_due"] = ["The next visit cannot be due in the past."]
    if errors:
        raise ValidationError(errors)
    plan, created = VisitPlan.objects.select_for_update().get_or_create(
        client=client,
        defaults={
            "organisation": member.organisation,
            "set_by": actor,
            "psychiatry_every_weeks": psychiatry_every_weeks,
            "therapy_every_weeks": therapy_every_weeks,
            "next_psychiatry_due": next_psychiatry_due,
        },
    )
    if not created:
        plan.psychiatry_every_weeks = psychiatry_every_weeks
        plan.therapy_every_weeks = therapy_every_weeks
        plan.next_psychiatry_due = next_psychiatry_due
        plan.set_by = actor
        plan.version += 1
        plan.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=plan,
        object_id=str(client.public_id),
        client=client,
        organisation=member.organisation,
        detail={"psychiatry_every_weeks": psychiatry_every_weeks},
    )
    # Remind a week before the follow-up is due, when nothing is booked by then.
    remind_on = max(next_psychiatry_due - dt.timedelta(days=7), timezone.localdate())
    _later(
        check_visit_booked,
        plan.pk,
        plan.version,
        run_after=dt.datetime.combine(remind_on, dt.time(9), tzinfo=member.organisation.zone),
    )
    return plan
