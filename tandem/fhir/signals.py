"""What the fhir app announces for later work; ``tasks`` queues it after commit."""

from django.dispatch import Signal

#: A roster import was uploaded (``import_id``): the worker checks and applies it.
roster_import_queued = Signal()
#: An export was asked for and must run: sent with ``job_id`` inside the kick-off's transaction.
export_requested = Signal()
#: An export's files are written and must be deleted at ``expires_at``: sent with ``job_id``.
export_finished = Signal()
