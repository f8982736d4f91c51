"""What booking announces; ``tasks`` turns it into background work after commit."""

from django.dispatch import Signal

#: A slot was held: sent with ``appointment_id`` and ``expires_at``; the hold is let go then.
hold_placed = Signal()

#: A slot came free (a cancellation, a lapsed hold, a move): sent with ``organisation_id``,
#: ``prescriber_id``, ``appointment_type_id`` and ``starts_at``; the waitlist is offered it.
slot_freed = Signal()
