"""Background work of booking."""

from django.tasks import task

from tandem.scheduling.actions import expire_hold_now


@task()
def expire_hold(appointment_id: int) -> None:
    """Free the slot of a hold that was not completed in time (no-op if it was)."""
    expire_hold_now(appointment_id)
