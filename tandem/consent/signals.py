"""What the consent engine's actions announce, for work done later by ``tasks``.

Sent inside the action's transaction with ids and plain values; the receivers in
``tandem.consent.tasks`` enqueue the background work once the transaction commits.
"""

from django.dispatch import Signal

#: A signed release will expire: remind its client and therapist ``days_before`` it does.
#: Sent with ``release_id``, ``days_before`` and ``remind_at`` (an aware datetime).
expiry_reminder_planned = Signal()
