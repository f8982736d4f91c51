"""Background work of booking, and the receivers that queue it after the announcing commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver
from django.tasks import task

from tandem.core.tasks import enqueue_on_commit
from tandem.scheduling import signals, waitlist
from tandem.scheduling.actions import expire_hold_now


@task()
def expire_hold(appointment_id: int) -> None:
    """Free the slot of a hold that was not completed in time (no-op if it was)."""
    expire_hold_now(appointment_id)


@receiver(signals.hold_placed, dispatch_uid="scheduling.expire_hold")
def _queue_expiry(
    sender: Any, *, appointment_id: int, expires_at: dt.datetime, **kwargs: Any
) -> None:
    enqueue_on_commit(expire_hold, appointment_id, run_after=expires_at)


@receiver(signals.slot_freed, dispatch_uid="scheduling.offer_freed_slot")
def _queue_offer(
    sender: Any,
    *,
    organisation_id: int,
    prescriber_id: int,
    appointment_type_id: int,
    starts_at: dt.datetime,
    **kwargs: Any,
) -> None:
    # The task keeps its path (``waitlist.offer_freed_slot``): queued rows name it.
    enqueue_on_commit(
        waitlist.offer_freed_slot,
        organisation_id,
        prescriber_id,
        appointment_type_id,
        starts_at.isoformat(),
    )
