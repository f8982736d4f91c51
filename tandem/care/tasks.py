"""Timers of collaboration, run by the task worker. Each takes ids and is idempotent."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.models import CheckInCadence, CheckInStatus, ProgressCheckIn, VisitPlan
from tandem.core.roles import Role
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind

#: Overdue check-ins are chased every this many days, at most this many times.
REMINDER_EVERY = dt.timedelta(days=2)
MAX_REMINDERS = 3


@task()
def request_checkin(cadence_id: int, version: int, due_on: str) -> None:
    """Ask the primary therapist for a progress check-in due today, then plan the next one."""
    from tandem.care.actions import _checkin_at, _later, _primary_therapists

    day = dt.date.fromisoformat(due_on)
    with transaction.atomic():
        cadence = (
            CheckInCadence.objects.select_for_update()
            .select_related("client", "organisation")
            .filter(pk=cadence_id)
            .first()
        )
        if cadence is None or not cadence.is_active or cadence.version != version:
            return  # the cadence changed or stopped: the new one has its own timers
        therapists = _primary_therapists(cadence.client)
        if not therapists:
            return
        now = timezone.now()
        try:
            with transaction.atomic():
                checkin = ProgressCheckIn.objects.create(
                    client=cadence.client,
                    therapist=therapists[0].user,
                    organisation=therapists[0].organisation,
                    requested_by=cadence.set_by,
                    status=CheckInStatus.REQUESTED,
                    due_on=day,
                    requested_at=now,
                    answer_by=_checkin_at(
                        cadence, day + dt.timedelta(days=cadence.answer_within_days)
                    ),
                )
        except IntegrityError:
            return  # already requested for this date: a retried task
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
        )
        _later(remind_checkin, checkin.pk, 1, run_after=checkin.answer_by)
        following = cadence.next_after(day)
        _later(
            request_checkin,
            cadence.pk,
            cadence.version,
            following.isoformat(),
            run_after=_checkin_at(cadence, following),
        )


@task()
def remind_checkin(checkin_id: int, number: int) -> None:
    """Remind the therapist of an overdue check-in (once per reminder number)."""
    from tandem.care.actions import _later

    with transaction.atomic():
        checkin = (
            ProgressCheckIn.objects.select_for_update()
            .select_related("therapist")
            .filter(pk=checkin_id)
            .first()
        )
        if checkin is None or checkin.status != CheckInStatus.REQUESTED:
            return
        if checkin.reminders_sent >= number:
            return
        checkin.reminders_sent = number
        checkin.save(update_fields=["reminders_sent"])
        notify(
            [checkin.therapist],
            NotificationKind.CHECKIN_OVERDUE,
            reverse("care:checkin", kwargs={"checkin_id": checkin.public_id}),
            dedupe_key=f"checkin-overdue:{checkin.public_id}:{number}",
            reference=checkin.reference,
        )
        if number < MAX_REMINDERS:
            _later(
                remind_checkin, checkin.pk, number + 1, run_after=timezone.now() + REMINDER_EVERY
            )


@task()
def escalate_safety_alert(alert_id: int, level: int) -> None:
    """Escalate an alert still unacknowledged when its window closes."""
    from tandem.care.crisis import escalate

    escalate(alert_id, level)


@task()
def check_rota_gaps(organisation_id: int) -> None:
    """Warn the practice admin of gaps in the coming week's on-call rota; check again tomorrow."""
    from tandem.care.actions import _later
    from tandem.care.crisis import warn_rota_gaps
    from tandem.care.models import CareSettings
    from tandem.organisations.models import Organisation

    with transaction.atomic():
        organisation = Organisation.objects.filter(pk=organisation_id).first()
        if organisation is None:
            return
        warn_rota_gaps(organisation_id)
        # One daily chain per practice: queue tomorrow's check unless one is already queued.
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        settings_row, _ = CareSettings.objects.select_for_update().get_or_create(
            organisation=organisation
        )
        if (
            settings_row.rota_check_scheduled_for is None
            or settings_row.rota_check_scheduled_for < tomorrow
        ):
            settings_row.rota_check_scheduled_for = tomorrow
            settings_row.save(update_fields=["rota_check_scheduled_for"])
            _later(
                check_rota_gaps, organisation_id, run_after=timezone.now() + dt.timedelta(days=1)
            )


@task()
def check_visit_booked(plan_id: int, version: int) -> None:
    """Tell the coordinators when the planned follow-up visit is due and nothing is booked."""
    from tandem.care.selectors import follow_up_booked
    from tandem.care.sharing import team

    with transaction.atomic():
        plan = VisitPlan.objects.select_related("client").filter(pk=plan_id).first()
        if plan is None or plan.version != version:
            return
        if follow_up_booked(plan):
            return
        coordinators = [
            m.user
            for m in team(plan.client, (Role.COORDINATOR,))
            if m.organisation_id == plan.organisation_id
        ]
        notify(
            coordinators,
            NotificationKind.VISIT_DUE,
            reverse("care:visits", kwargs={"client_id": plan.client.public_id}),
            dedupe_key=f"visit-due:{plan.pk}:{plan.next_psychiatry_due:%Y%m%d}",
        )
