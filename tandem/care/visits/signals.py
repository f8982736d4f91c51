"""What the visit-plan actions announce for later work (``tandem.care.tasks`` queues it)."""

from django.dispatch import Signal

#: A visit plan was set: check at ``run_after`` that its follow-up is booked
#: (``plan_id``, ``version``, ``run_after``).
visit_plan_set = Signal()
