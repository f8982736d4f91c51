"""Short random references of care items, as notifications name them (never who the client is).

The migrations name these functions at ``tandem.care.models`` (which re-exports them).
"""

from __future__ import annotations

from tandem.core.references import random_reference


def short_reference(prefix: str) -> str:
    """Return a short random, non-identifying reference such as ``N-7Q2K`` for notifications."""
    return random_reference(prefix)


def note_ref() -> str:
    return short_reference("N")


def med_ref() -> str:
    return short_reference("M")


def checkin_ref() -> str:
    return short_reference("P")


def thread_ref() -> str:
    return short_reference("T")


def alert_ref() -> str:
    return short_reference("S")
