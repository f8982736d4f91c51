"""Run several calls at the same moment, each on its own database connection (race tests).

Race tests need real parallelism, not turns: every call runs in its own thread, all
released together by one barrier, and each thread closes its connection when done. Only
PostgreSQL gives each thread its own connection with row locks, so tests using this are
marked ``postgres`` and ``django_db(transaction=True)``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection


@dataclass
class Outcome:
    """What one racer's call returned, or the exception it raised."""

    value: object = None
    error: Exception | None = None

    def label(self, refused: type[Exception] | tuple[type[Exception], ...]) -> str:
        """Return "won", "refused" (an expected refusal) or "error: …" (anything else)."""
        if self.error is None:
            return "won"
        if isinstance(self.error, refused):
            return "refused"
        return f"error: {self.error!r}"


def all_at_once(*calls: Callable[[], object], timeout: float = 60) -> list[Outcome]:
    """Start every call together behind one barrier; return their outcomes in call order.

    Fails (rather than hangs) when a racer is still waiting on a lock after ``timeout``.
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def run(call: Callable[[], object], outcome: Outcome) -> None:
        try:
            barrier.wait(10)
            outcome.value = call()
        except Exception as error:  # judged by the caller's assertions
            outcome.error = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(call, outcome))
        for call, outcome in zip(calls, outcomes, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if any(thread.is_alive() for thread in threads):
        raise AssertionError("a racer is still waiting on a lock")
    return outcomes
