"""Writes of progress check-ins: the cadence, the scheduled requests and reminders, the answers.

Later work (the next request, a reminder) is announced through ``signals``;
``tandem.care.tasks`` queues it and calls back here when it falls due.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.checkins import signals, states
from tandem.care.checkins.models import (
    CHECKIN_FIELDS,
    Change,
    CheckInCadence,
    CheckInStatus,
    Engagement,
    ProgressCheckIn,
)
from tandem.care.checkins.selectors import checkin_at, primary_therapists
from tandem.care.sharing import SendResult, require_seat, share, team
from tandem.clients.access import CLINICIAN_ROLES
from tandem.clients.models import Client
from tandem.consent.categories import Category
from tandem.consent.decision import Party
from tandem.core.roles import Role
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind

#: Overdue check-ins are chased every this many days, at most this many times.
REMINDER_EVERY = dt.timedelta(days=2)
MAX_REMINDERS = 3


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
    member = require_seat(
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
    signals.checkin_due.send(
        sender=CheckInCadence,
        cadence_id=cadence.pk,
        version=cadence.version,
        due_on=starts_on.isoformat(),
        run_after=checkin_at(cadence, starts_on),
    )
    return cadence


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
        about=checkin.client_id,
    )
    return result


@transaction.atomic
def answer_checkin(*, actor: User, checkin: ProgressCheckIn, data: dict[str, Any]) -> SendResult:
    """Answer a requested check-in; the answer lands on the timeline for the prescriber."""
    checkin = (
        ProgressCheckIn.objects.select_for_update().select_related("client").get(pk=checkin.pk)
    )
    member = require_seat(
        actor, checkin.client, (Role.THERAPIST,), "Only the client's therapist answers check-ins."
    )
    if checkin.status == CheckInStatus.ANSWERED:
        raise ValidationError({"__all__": "This check-in was already answered."})
    clean = _clean_checkin(data)
    for key, value in clean.items():
        setattr(checkin, key, value)
    states.move(checkin, CheckInStatus.ANSWERED)
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
    member = require_seat(
        actor, client, (Role.THERAPIST,), "Only the client's therapist sends progress updates."
    )
    clean = _clean_checkin(data)
    now = timezone.now()
    checkin = states.create(
        CheckInStatus.ANSWERED,
        client=client,
        therapist=actor,
        organisation=member.organisation,
        unsolicited=True,
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


def request_due_checkin(cadence_id: int, version: int, due_on: str) -> ProgressCheckIn | None:
    """Ask the primary therapist for the check-in due on ``due_on``, then plan the next one.

    Idempotent: a changed or stopped cadence (its timers find a newer version), a
    client without a therapist, or a check-in already requested for the date does nothing.
    """
    day = dt.date.fromisoformat(due_on)
    with transaction.atomic():
        cadence = (
            CheckInCadence.objects.select_for_update()
            .select_related("client", "organisation")
            .filter(pk=cadence_id)
            .first()
        )
        if cadence is None or not cadence.is_active or cadence.version != version:
            return None  # the cadence changed or stopped: the new one has its own timers
        therapists = primary_therapists(cadence.client)
        if not therapists:
            return None
        now = timezone.now()
        try:
            with transaction.atomic():
                checkin = states.create(
                    CheckInStatus.REQUESTED,
                    client=cadence.client,
                    therapist=therapists[0].user,
                    organisation=therapists[0].organisation,
                    requested_by=cadence.set_by,
                    due_on=day,
                    requested_at=now,
                    answer_by=checkin_at(
                        cadence, day + dt.timedelta(days=cadence.answer_within_days)
                    ),
                )
        except IntegrityError:
            return None  # already requested for this date: a retried task
        record(
            actor=None,
            action=AuditAction.CREATE,
            obj=checkin,
            client=cadence.client,
            organisation=cadence.organisation,
            detail={"requested": due_on},
        )
        notify(
            [therapists[0].user],
            NotificationKind.CHECKIN_REQUEST,
            reverse("care:checkin", kwargs={"checkin_id": checkin.public_id}),
            dedupe_key=f"checkin:{checkin.public_id}",
            reference=checkin.reference,
            about=checkin.client_id,
        )
        signals.reminder_due.send(
            sender=ProgressCheckIn, checkin_id=checkin.pk, number=1, run_after=checkin.answer_by
        )
        following = cadence.next_after(day)
        signals.checkin_due.send(
            sender=CheckInCadence,
            cadence_id=cadence.pk,
            version=cadence.version,
            due_on=following.isoformat(),
            run_after=checkin_at(cadence, following),
        )
    return checkin


def remind_overdue(checkin_id: int, number: int) -> bool:
    """Remind the therapist of an overdue check-in (once per reminder number); return whether sent."""
    with transaction.atomic():
        checkin = (
            ProgressCheckIn.objects.select_for_update()
            .select_related("therapist")
            .filter(pk=checkin_id)
            .first()
        )
        if checkin is None or checkin.status != CheckInStatus.REQUESTED:
            return False
        if checkin.reminders_sent >= number:
            return False
        checkin.reminders_sent = number
        checkin.save(update_fields=["reminders_sent"])
        notify(
            [checkin.therapist],
            NotificationKind.CHECKIN_OVERDUE,
            reverse("care:checkin", kwargs={"checkin_id": checkin.public_id}),
            dedupe_key=f"checkin-overdue:{checkin.public_id}:{number}",
            reference=checkin.reference,
            about=checkin.client_id,
        )
        if number < MAX_REMINDERS:
            signals.reminder_due.send(
                sender=ProgressCheckIn,
                checkin_id=checkin.pk,
                number=number + 1,
                run_after=timezone.now() + REMINDER_EVERY,
            )
    return True
