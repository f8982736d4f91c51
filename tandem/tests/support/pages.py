"""Every page Tandem serves, with someone who may open it: the URL walk's pages for checks.

The list comes from the URL conf, so a page added tomorrow is checked tomorrow:

- a URL with an object id is opened by a user who may see that object, built by the
  URL walk's factories (``tandem.tests.support.url_objects``);
- a URL without one is opened by each of an anonymous visitor, a client and a
  therapist, prescriber, coordinator and practice admin who share a client with a
  referral, a release and a consult note, so lists have rows;
- what answers 200 with HTML is a page (downloads, redirects, POST-only actions and
  refusals are not).

The browser sweep (``e2e/test_every_page.py``) opens these pages in Chromium; the
server-side checks (``tandem/tests/test_url_access.py``) parse the HTML they return.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from tandem.tests.support.http import Client as HttpClient
from tandem.tests.support.url_objects import NOT_OBJECT_IDS, REGISTRY, Target
from tandem.tests.support.urlwalk import Route, routes

#: Not pages a person reads: the browser-less endpoints.
NOT_PAGES = {
    "core:healthz",
    "core:readyz",
    "notifications:unread",  # the badge fragment, loaded into every page
    "referrals:icd10",  # the code search fragment, part of the draft editor
}


@dataclass(frozen=True)
class Page:
    """One page as one person sees it."""

    label: str  # the route's name, and for a URL without an id, "as <who>"
    url: str
    user: Any  # None for an anonymous visitor
    html: str


def people() -> dict[str, Any]:
    """Return one person per role, sharing a client whose lists all have rows."""
    from tandem.care.crisis import actions as crisis
    from tandem.care.tests.factories import CareWorld
    from tandem.referrals.models import ReferralStatus as S

    world = CareWorld()
    referral = world.sent()
    for target in (S.RECEIVED, S.ACCEPTED):
        referral = _move(world, referral, target)
    world.draft_note()
    # An open alert, so the clinicians' pages are swept with the red open-alert banner.
    crisis.raise_safety_alert(world.therapist, world.client, "urgent", "Said she has a plan.")
    return {
        "anonymous visitor": None,
        "client": world.client_user,
        "therapist": world.therapist,
        "prescriber": world.prescriber,
        "coordinator": world.coordinator,
        "practice admin": world.admin,
    }


def _move(world: Any, referral: Any, target: str) -> Any:
    from tandem.referrals import actions

    extra = {"assigned_prescriber": world.prescriber} if target == "accepted" else {}
    return actions.NAMED_MOVES[target](actor=world.coordinator, referral=referral, **extra)


def url_and_user(route: Route) -> tuple[str, Any] | None:
    """Build ``route``'s URL with real objects and return it with a user who may open it."""
    built: dict[str, Target] = {}
    for kwarg in route.kwargs:
        if kwarg in REGISTRY:
            built[kwarg] = REGISTRY[kwarg](built)
        elif kwarg not in NOT_OBJECT_IDS:
            return None
    values = {k: NOT_OBJECT_IDS[k][1] for k in route.kwargs if k not in built}
    values |= {k: t.value for k, t in built.items()}
    user = None
    if built:
        target = list(built.values())[-1]
        user = target.allowed_by_route.get(route.name, target.allowed)
    return reverse(route.name, kwargs=values), user


def _html(user: Any, url: str) -> str | None:
    """Return the page at ``url`` as ``user`` sees it, or None when it is not a page."""
    http = HttpClient()
    if user is not None:
        http.force_login(user)
    response = http.get(url)
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return None
    return response.content.decode()


def every_page(*, objects: bool = True) -> list[Page]:
    """Return every page, as each of the users who may read it.

    With ``objects=False`` the pages whose URL names an object of the URL walk's registry
    are left out: the URL walk opens those as the user who may (``Report.pages``), so a
    check that has the walk's report reads them there instead of rendering them again.
    """
    everyone = people()
    pages: list[Page] = []
    for route in routes():
        if not route.name or route.name in NOT_PAGES or route.namespace == "admin":
            continue
        if route.kwargs:
            if route.module.startswith("allauth."):
                continue  # the signed-in user's own keys and devices: opened from their lists
            if not objects and any(kwarg in REGISTRY for kwarg in route.kwargs):
                continue
            found = url_and_user(route)
            if found:
                html = _html(found[1], found[0])
                if html is not None:
                    pages.append(Page(route.name, found[0], found[1], html))
            continue
        url = reverse(route.name)
        for who, user in everyone.items():
            html = _html(user, url)
            if html is not None:
                pages.append(Page(f"{route.name} as {who}", url, user, html))
    return pages
