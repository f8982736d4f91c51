"""The practice settings page, composed from sections that the apps register.

Organisations owns the page (its URL, who may open it, the overview and the
tabs), but not what each section sets: an app whose models a section changes
(referrals' intake policy, scheduling's booking rules and hours) owns its
forms, actions and views, and registers a ``Section`` here when it starts
(``AppConfig.ready`` imports its ``settings_views``). This module imports no
app above organisations, so the dependency points one way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tandem.organisations.models import Organisation


@dataclass(frozen=True)
class Tab:
    """A link in the settings tabs: ``url_name`` takes the organisation's public id."""

    label: str
    url_name: str
    key: str  # the ``section`` a page passes to the tabs, to mark its own tab current


@dataclass(frozen=True)
class Section:
    """A card on the settings overview and its tabs."""

    title: str
    order: int  # cards and tabs are shown by this, smallest first
    template: str  # the overview card, rendered with ``organisation`` and ``context(...)``
    context: Callable[[Organisation], dict[str, Any]]
    tabs: tuple[Tab, ...] = ()


_SECTIONS: dict[str, Section] = {}


def register_section(
    title: str,
    *,
    order: int,
    template: str,
    context: Callable[[Organisation], dict[str, Any]],
    tabs: tuple[Tab, ...] = (),
) -> Section:
    """Add a section to the practice settings page (registering a title again replaces it)."""
    section = Section(title=title, order=order, template=template, context=context, tabs=tabs)
    _SECTIONS[title] = section
    return section


def sections() -> list[Section]:
    """Return the registered sections in page order."""
    return sorted(_SECTIONS.values(), key=lambda s: s.order)


def tabs() -> list[Tab]:
    """Return every section's tabs in page order (the overview tab is the page's own)."""
    return [tab for section in sections() for tab in section.tabs]
