"""What measurement-based care's actions announce, for work done later by ``tasks``.

Sent inside the action's transaction with ids and plain values; the receivers in
``tandem.measures.tasks`` enqueue the background work once the transaction commits.
"""

from django.dispatch import Signal

#: A schedule's next due date was set or moved on: remind the client when it falls due.
#: Sent with ``schedule_id``, ``version`` (the reminder stands down if it moves on) and
#: ``remind_at`` (an aware datetime).
due_reminder_planned = Signal()
