"""What the crisis actions announce for later work (``tandem.care.tasks`` queues it).

Sent inside the action's transaction with ids and plain values only; the work
is queued when the transaction commits.
"""

from django.dispatch import Signal

#: An alert must be escalated to ``level`` unless acknowledged by ``run_after``:
#: ``alert_id``, ``level``, ``run_after``. Sent when it is raised (level 1) and by each
#: escalation that leaves someone on the rota untold.
escalation_due = Signal()
#: A practice's on-call rota is to be checked for gaps: ``organisation_id``, ``run_after``
#: (None: now). Sent when a shift is added, and by each daily check for the next day.
rota_check_due = Signal()
