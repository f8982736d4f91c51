"""What the check-in actions announce for later work (``tandem.care.tasks`` queues it).

Sent inside the action's transaction with ids and plain values only; the work
is queued when the transaction commits.
"""

from django.dispatch import Signal

#: A check-in falls due: ``cadence_id``, ``version``, ``due_on`` (ISO date), ``run_after``.
checkin_due = Signal()
#: A requested check-in is to be chased: ``checkin_id``, ``number`` (1…), ``run_after``.
reminder_due = Signal()
