"""How the response clock reads on a page: "5 h 20 min left", "overdue by 1 day 3 h"."""

import datetime as dt

from django import template

register = template.Library()


def _span(delta: dt.timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"


@register.filter
def clock(delta: dt.timedelta | None) -> str:
    """Return the time left to respond, or how long the response is overdue."""
    if delta is None:
        return "Answered"
    if delta.total_seconds() < 0:
        return f"Overdue by {_span(delta)}"
    return f"{_span(delta)} left"


@register.filter
def overdue_by(delta: dt.timedelta) -> str:
    """Return "overdue by 1 day 2 h" for a positive lateness."""
    return f"overdue by {_span(delta)}"
