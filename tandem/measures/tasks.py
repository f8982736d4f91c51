"""Timers of measurement-based care, run by the task worker. Each takes ids and is idempotent.

The receivers here turn what the actions announce (``signals``) into queued work,
enqueued once the action's transaction commits; actions never import this module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core.tasks import enqueue_on_commit
from tandem.measures import signals
from tandem.measures.models import MeasureSchedule
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind


@task()
def remind_measure_due(schedule_id: int, version: int) -> bool:
    """Tell the client a questionnaire is due (the notice names nothing clinical).

    Stands down when the schedule was stopped or changed since (its version
    moved on: the new plan has its own reminder), when the client already
    answered (``next_due`` moved past today), or when they have no portal
    account. A retried task tells the client once (dedupe key). Returns whether
    it told them.
    """
    with transaction.atomic():
        schedule = (
            MeasureSchedule.objects.select_related("client__user")
            .filter(pk=schedule_id, is_active=True, version=version)
            .first()
        )
        if schedule is None or schedule.next_due > timezone.localdate():
            return False
        user = schedule.client.user
        if user is None or not user.is_active:
            return False
        # The portal, not the form: a link naming the instrument (audit-c, pcl-5) would tell
        # anyone who reads the email what the client is being screened for.
        link = reverse("measures:portal")
        sent = notify(
            [user],
            NotificationKind.GENERAL,
            link,
            dedupe_key=f"measure-due:{schedule.pk}:{schedule.version}",
        )
        if sent:
            record(
                actor=None,
                action=AuditAction.CREATE,
                object_type="notifications.notification",
                client=schedule.client,
                organisation=schedule.organisation_id and schedule.organisation,
                detail={"reminder": "measure_due", "schedule": str(schedule.public_id)},
            )
        return bool(sent)


@receiver(signals.due_reminder_planned)
def plan_due_reminder(
    sender: Any, *, schedule_id: int, version: int, remind_at: dt.datetime, **kwargs: Any
) -> None:
    """Queue ``remind_measure_due`` for ``remind_at``, once the action's transaction commits."""
    enqueue_on_commit(remind_measure_due, schedule_id, version, run_after=remind_at)
