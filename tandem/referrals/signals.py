"""What the referral loop announces; ``tasks`` turns it into background work after commit."""

from django.dispatch import Signal

#: A referral's response clock must be checked at ``level`` at ``due_at``: sent with
#: ``referral_id``, ``level`` and ``due_at`` inside the transaction that set the clock.
response_clock_due = Signal()
