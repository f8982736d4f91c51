"""How much free text a person may type into one field, and how the form says so.

Limits are generous for what each field is for (a message, a note section, a
short line) and exist so that one request cannot store megabytes. The form
field enforces them on the server; the model column carries the same
``max_length``; the page shows "Up to N characters" next to each text area.
"""

from __future__ import annotations

from typing import Any

from django import forms

#: A line: a subject, a dose, a cadence.
LINE = 300
#: One section of a note, a referral packet field, an alert's summary.
NOTE = 4000
#: A clinician message.
MESSAGE = 10000


def up_to(limit: int) -> str:
    """Return the words shown next to a field: "Up to 4,000 characters."."""
    return f"Up to {limit:,} characters."


def with_limit(help_text: str, limit: int) -> str:
    """Return ``help_text`` followed by the field's limit."""
    return f"{help_text} {up_to(limit)}".strip()


def text_area(limit: int, *, rows: int, help_text: str = "", **kwargs: Any) -> forms.CharField:
    """Return a free-text area that refuses more than ``limit`` characters and says so."""
    return forms.CharField(
        max_length=limit,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=with_limit(help_text, limit),
        **kwargs,
    )
