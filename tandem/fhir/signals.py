"""What the fhir app announces for later work; ``tasks`` queues it after commit."""

from django.dispatch import Signal

#: A roster import was uploaded (``import_id``): the worker checks and applies it.
roster_import_queued = Signal()
