"""The practice settings tabs, built from the sections the apps registered."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from tandem.organisations import settings_sections

register = template.Library()


@register.inclusion_tag("organisations/settings/_tabs.html")
def settings_tabs(organisation: Any, section: str) -> dict[str, Any]:
    """Link every settings page of ``organisation``; mark the one called ``section`` current."""
    org_id = organisation.public_id
    links = [
        {
            "label": "Overview",
            "url": reverse("organisations:settings", args=[org_id]),
            "current": section == "home",
        }
    ]
    links += [
        {
            "label": tab.label,
            "url": reverse(tab.url_name, args=[org_id]),
            "current": section == tab.key,
        }
        for tab in settings_sections.tabs()
    ]
    return {"links": links}
