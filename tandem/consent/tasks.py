"""Background work of the consent engine, run by the task worker.

The receivers here turn what the actions announce (``signals``) into queued work,
enqueued once the action's transaction commits; actions never import this module.
"""

import datetime as dt
from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django.tasks import task
from django.urls import reverse

from tandem.consent import signals
from tandem.consent.models import Release, ReleaseStatus
from tandem.core.tasks import enqueue_on_commit
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind


@task()
def remind_release_expiry(release_id: int, days_before: int) -> None:
    """Tell the client and the therapist that a signed release expires soon (once per threshold)."""
    with transaction.atomic():
        release = (
            Release.objects.select_related("client__user", "prepared_by")
            .filter(pk=release_id)
            .first()
        )
        if release is None or release.status != ReleaseStatus.SIGNED or release.is_expired():
            return
        key = f"release-expiry:{release.public_id}:{days_before}"
        if release.client.user is not None:
            notify(
                [release.client.user],
                NotificationKind.RELEASE_EXPIRING,
                reverse("consent:mine"),
                dedupe_key=key,
            )
        notify(
            [release.prepared_by],
            NotificationKind.RELEASE_EXPIRING,
            reverse("consent:client_status", kwargs={"client_id": release.client.public_id}),
            dedupe_key=key,
        )


@receiver(signals.expiry_reminder_planned)
def plan_expiry_reminder(
    sender: Any, *, release_id: int, days_before: int, remind_at: dt.datetime, **kwargs: Any
) -> None:
    """Queue ``remind_release_expiry`` for ``remind_at``, once the signing commits."""
    enqueue_on_commit(remind_release_expiry, release_id, days_before, run_after=remind_at)
