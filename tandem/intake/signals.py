"""What intake's actions announce, for work done later by ``tasks``.

Sent inside the action's transaction with ids and plain values; the receivers in
``tandem.intake.tasks`` enqueue the background work once the transaction commits.
"""

from django.dispatch import Signal

#: A question came in through the contact form: acknowledge it to the sender.
#: Sent with ``message_id``.
contact_message_sent = Signal()
#: An unverified bot session was opened: sweep unverified sessions once it may go.
#: Sent with ``purge_after`` (an aware datetime).
unverified_session_opened = Signal()
