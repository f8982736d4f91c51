"""The design system's template tags: status badges whose meaning is in words and a mark.

A badge's colour follows its tone (done, waiting on someone, stopped, in progress, neutral),
but the tone is also spelt by a mark (✓ ! ✕ → •) and the label itself, so nobody needs
to tell colours apart. Statuses keep their own labels; this only chooses the tone.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import get_language

register = template.Library()

#: Tone → the mark shown before the label, and what the mark means (for the design docs).
TONES: dict[str, tuple[str, str]] = {
    "ok": ("✓", "done or in effect"),
    "warn": ("!", "waiting on someone, or needs attention"),
    "danger": ("✕", "stopped, refused or ended badly"),
    "info": ("→", "under way"),
    "neutral": ("•", "closed or informational"),
}

#: Status value → tone, across the apps' state machines (the values are their TextChoices).
STATUS_TONES: dict[str, str] = {
    # done or in effect
    "accepted": "ok",
    "scheduled": "ok",
    "first_visit_done": "ok",
    "consult_note_sent": "ok",
    "confirmed": "ok",
    "completed": "ok",
    "signed": "ok",
    "answered": "ok",
    "delivered": "ok",
    "resolved": "ok",
    "booked": "ok",
    "acknowledged": "ok",
    # waiting on someone
    "draft": "warn",
    "info_requested": "warn",
    "held": "warn",
    "pending": "warn",
    "requested": "warn",
    "open": "danger",
    "offered": "warn",
    "waiting": "warn",
    "overdue": "danger",
    "urgent": "danger",
    # stopped, refused or ended badly
    "declined": "danger",
    "no_show": "danger",
    "cancelled": "danger",
    "revoked": "danger",
    "expired": "danger",
    "withdrawn": "neutral",
    # under way
    "sent": "info",
    "received": "info",
    "new": "info",
    # closed
    "closed": "neutral",
    "superseded": "neutral",
    "ended": "neutral",
}


def tone_of(status: str) -> str:
    """Return the tone of ``status`` ("neutral" for a value no table names)."""
    return STATUS_TONES.get(str(status), "neutral")


@register.simple_tag
def badge(status: Any, label: Any = "", tone: str = "") -> str:
    """Render a status badge: ``{% badge referral.status referral.get_status_display %}``.

    ``tone`` overrides the table (``{% badge "urgent" "Urgent" %}`` needs none).
    """
    chosen = tone if tone in TONES else tone_of(str(status))
    label = label or status
    if type(status) in _PLAIN and type(label) in _PLAIN:
        # A list page draws the same few badges on every row: built once per kind.
        return _badge_html(chosen, status, label)
    return _badge_html.__wrapped__(chosen, status, label)


#: Argument types a badge may be cached for: text, or text a template marked safe (a
#: literal); cached by type too (``typed``), so "a&b" and a safe "a&b" never share one.
_PLAIN = (str, SafeString)


@lru_cache(maxsize=512, typed=True)
def _badge_html(chosen: str, status: Any, label: Any) -> str:
    # The mark is drawn by the stylesheet (``.badge-ok::before``), with empty alternative
    # text: screen readers hear the label alone, and the element's text is the label.
    return format_html(
        '<span class="badge badge-{}" data-status="{}">{}</span>', chosen, status, label
    )


@register.filter
def tone(status: Any) -> str:
    """Return the badge tone of a status value (for markup that builds its own badge)."""
    return tone_of(str(status))


class _Unit:
    """One of ``timesince``'s units whose words ("3 days") are translated once per language."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __mod__(self, values: dict[str, int]) -> str:
        return _unit_words(get_language(), self.name, values["num"])


@lru_cache(maxsize=1024)
def _unit_words(language: str | None, name: str, num: int) -> str:
    return str(TIME_STRINGS[name] % {"num": num})


_UNITS = {name: _Unit(name) for name in TIME_STRINGS}


@register.filter(is_safe=False)
def since(value: Any) -> str:
    """Return the time since ``value`` as Django's ``timesince`` filter words it ("4 days, 6 hours").

    The same words, by Django's own reckoning; only each unit's translation is looked
    up once per language and number instead of on every row of a list.
    """
    if not value:
        return ""
    try:
        # ``timesince`` only applies ``%`` to each unit, which ``_Unit`` answers.
        return timesince(value, time_strings=cast(dict[str, str], _UNITS))
    except (ValueError, TypeError):
        return ""


@register.simple_tag
def route(name: str) -> str:
    """Return the path of the URL named ``name``, one that takes no arguments, as ``{% url %}``.

    The layout names about fifteen such routes on every page (the navigation, the session
    warning's links); their paths cannot change while the process runs, so each is
    reversed once per URLconf and script prefix (both in the key) instead of on every
    page. Nothing about the person is kept: the same paths serve everyone.
    """
    return _route(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@lru_cache(maxsize=256)
def _route(name: str, urlconf: str, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)
