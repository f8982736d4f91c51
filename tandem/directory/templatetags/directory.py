"""How measured figures read on a page: hours as business days, shares as percentages."""

from __future__ import annotations

import uuid

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """Return a share such as 0.857 as "86%"."""
    return "" if value is None else f"{round(value * 100)}%"


@register.filter
def hours(value: float | None) -> str:
    """Return business hours as "6.5 business hours"."""
    if value is None:
        return ""
    shown = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{shown} business hour{'' if shown == '1' else 's'}"


@register.filter
def days(value: float | None) -> str:
    """Return a day count such as 17.5 as "17.5 days"."""
    if value is None:
        return ""
    shown = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{shown} day{'' if shown == '1' else 's'}"


@register.simple_tag
def new_key() -> str:
    """Return a fresh idempotency key for one "Start a referral" button (one per click)."""
    return str(uuid.uuid4())
