"""Every page Tandem serves, on a 375 px phone: axe finds nothing serious, nothing scrolls
sideways, and the Content-Security-Policy is never violated.

The journeys check the pages they pass through; this sweeps the rest. The list comes
from the URL conf, so a page added tomorrow is checked tomorrow:

- a URL with an object id is opened by a user who may see that object, built by the
  URL walk's factories (``tandem.tests.support.url_objects``);
- a URL without one is opened by each of an anonymous visitor, a client and a
  therapist, prescriber, coordinator and practice admin who share a client with a
  referral, a release and a consult note, so lists have rows;
- what answers 200 with HTML is checked in the browser (downloads, redirects,
  POST-only actions and refusals are not pages).

Every problem is collected, so one run lists them all.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from playwright.sync_api import Page

from e2e.helpers import check_page, clear_console, share_session
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


def _people() -> dict[str, Any]:
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


def _url_and_user(route: Route) -> tuple[str, Any] | None:
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


def _is_page(user: Any, url: str) -> bool:
    http = HttpClient()
    if user is not None:
        http.force_login(user)
    response = http.get(url)
    return response.status_code == 200 and response["Content-Type"].startswith("text/html")


def _pages_to_check() -> list[tuple[str, str, Any]]:
    """Return (label, url, user) for every page, as the users who may read it."""
    people = _people()
    pages: list[tuple[str, str, Any]] = []
    for route in routes():
        if not route.name or route.name in NOT_PAGES or route.namespace == "admin":
            continue
        if route.kwargs:
            if route.module.startswith("allauth."):
                continue  # the signed-in user's own keys and devices: opened from their lists
            found = _url_and_user(route)
            if found and _is_page(found[1], found[0]):
                pages.append((route.name, found[0], found[1]))
            continue
        url = reverse(route.name)
        for who, user in people.items():
            if _is_page(user, url):
                pages.append((f"{route.name} as {who}", url, user))
    return pages


def test_every_page_passes_axe_fits_a_phone_and_keeps_to_the_csp(
    phone_page: Page, live_server
) -> None:
    pages = _pages_to_check()
    # The sweep must really see the site: the sign-in page, dashboards, lists and records.
    labels = {label for label, _, _ in pages}
    assert {"account_login as anonymous visitor", "core:dashboard as coordinator"} <= labels
    assert "clients:detail" in labels
    assert len(pages) > 60, labels

    problems: dict[str, str] = {}
    with_banner: set[str] = set()
    signed_in_as: object = "nobody yet"
    for label, url, user in pages:
        if user is not signed_in_as:
            phone_page.context.clear_cookies()
            if user is not None:
                share_session(phone_page, user, live_server.url)
            signed_in_as = user
        clear_console(phone_page)
        phone_page.goto(url)
        if phone_page.locator("[data-open-alerts]").count():
            with_banner.add(label)
        if label == "care:alert":
            # The alert page is swept with its outcome form showing.
            assert phone_page.locator('button[name="record_outcome"]').count() == 1
        try:
            check_page(phone_page, phone=True)
        except AssertionError as problem:
            problems[f"{label} ({url})"] = str(problem).split("\nassert")[0]

    assert problems == {}, "\n\n".join(f"{k}:\n{v}" for k, v in problems.items())
    # The open-alert banner was swept too: on the alert page and on the clinicians' pages.
    assert {"care:alert", "core:dashboard as therapist", "core:dashboard as prescriber"} <= (
        with_banner
    ), with_banner
