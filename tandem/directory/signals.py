"""What the directory announces for later work; ``tasks.py``'s receivers queue it."""

from django.dispatch import Signal

#: The nightly recompute of every practice's measured figures is due (``run_after``: when).
recompute_due = Signal()
