"""What the bulk export announces; ``tasks`` turns it into background work after commit."""

from django.dispatch import Signal

#: An export was asked for and must run: sent with ``job_id`` inside the kick-off's transaction.
export_requested = Signal()
#: An export's files are written and must be deleted at ``expires_at``: sent with ``job_id``.
export_finished = Signal()
