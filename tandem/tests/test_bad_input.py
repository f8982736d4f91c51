"""No URL answers bad input with a server error.

Every URL pattern of the real URL conf is fed junk by someone allowed to use it
(and by an anonymous visitor): junk query strings, an empty POST, a POST that
fills every field of the page's own forms with values of the wrong shape, and
malformed JSON. The answer may be a refusal, a redirect or a page naming the
field, but never a 500 and never an exception escaping the view. The objects
and the allowed users come from the URL walk's registry
(``tandem/tests/support/url_objects.py``), so a view added later is fed junk
without anyone remembering to add it here.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from tandem.core.roles import Role
from tandem.tests.support.http import Client as HttpClient
from tandem.tests.support.url_objects import NOT_OBJECT_IDS, REGISTRY, Target
from tandem.tests.support.urlwalk import Route, routes

LONG = "Qz" + "x" * 598
JUNK_QUERY = {
    "page": "abc",
    "sort": "\x00",
    "kind": "<script>alert(1)</script>",
    "q": "",
    "status": LONG,
    "date": "2027-02-30",
    "start": "2027-02-30",
    "week": "abc",
    "client": "not-a-uuid",
    "org": "not-a-uuid",
    "edit": "not-a-step",
    "view": "not-a-uuid",
    "prescriber": "not-a-uuid",
    "measure": "abc",
    "lapsed": "abc",
    "flag": "<script>",
}
#: Page numbers far out of range, and a second value for every junk parameter.
JUNK_QUERIES = (
    JUNK_QUERY,
    {"page": "99999999999999999999999", "date": "abc", "sort": LONG, "kind": ""},
    {key: [value, "-1"] for key, value in JUNK_QUERY.items()},
)
HUGE = "<script>alert(1)</script>" + "y" * 4975
NOT_A_UUID = "not-a-uuid"
MALFORMED_JSON = '{"answers": [1, 2,, "'

_FIELD = re.compile(
    r"<(input|select|textarea)\b([^>]*)>",
    re.IGNORECASE,
)
_ATTR = re.compile(r'([a-zA-Z-]+)="([^"]*)"')
_SKIPPED_FIELDS = {"csrfmiddlewaretoken"}


def _fields(html: str) -> dict[str, str]:
    """Return the name and input type of every form field on ``html``."""
    found: dict[str, str] = {}
    for tag, attrs in _FIELD.findall(html):
        parsed = dict(_ATTR.findall(attrs))
        name = parsed.get("name")
        if not name or name in _SKIPPED_FIELDS:
            continue
        found[name] = parsed.get("type", tag).lower()
    return found


_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.IGNORECASE | re.DOTALL)


def _forms(html: str) -> list[tuple[str, dict[str, str]]]:
    """Return the route name each form of ``html`` posts to ("" if unknown), with its fields."""
    found = []
    for attrs, body in _FORM.findall(html):
        parsed = dict(_ATTR.findall(attrs))
        action = parsed.get("hx-post") or parsed.get("action") or ""
        try:
            name = resolve(urlsplit(action).path).view_name if action.startswith("/") else ""
        except Resolver404:
            name = ""
        found.append((name, _fields(body)))
    return found


def _junk_for(name: str, kind: str) -> str:
    """Return a value of the wrong shape for a field called ``name`` of input type ``kind``."""
    if kind == "number" or name.endswith(("count", "minutes", "score", "days", "weeks")):
        return "abc"
    if kind in ("date", "month", "week") or "date" in name:
        return "2027-02-30"
    if kind in ("datetime-local", "time") or name.endswith(("_at", "time")):
        return "2027-02-30T25:61"
    if kind in ("select", "radio", "hidden") or name.endswith(("_id", "id", "ids")):
        return NOT_A_UUID
    return HUGE


def _variants(fields: dict[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (label, POST data) pairs filling ``fields`` with junk."""
    yield "fields of the wrong shape", {n: _junk_for(n, k) for n, k in fields.items()}
    yield "every field 'abc'", dict.fromkeys(fields, "abc")
    yield "every field huge", dict.fromkeys(fields, HUGE)
    yield "every field twice", {n: [NOT_A_UUID, "abc"] for n in fields}


class Prober:
    """Send junk to one URL as one user; collect every 500 or escaped exception."""

    def __init__(self, label: str, url: str, user: Any, who: str, failures: list[str]) -> None:
        self.label, self.url, self.who, self.failures = label, url, who, failures
        #: Forms on this page that post to another URL: that URL's route name → its fields.
        self.elsewhere: dict[str, dict[str, str]] = {}
        self.http = HttpClient(raise_request_exception=True)
        if user is not None:
            self.http.force_login(user)

    def send(self, what: str, method: str, **kwargs: Any) -> Any:
        try:
            if method == "GET":
                response = self.http.get(self.url, **kwargs)
            elif "content_type" in kwargs:
                response = self.http.generic(method, self.url, **kwargs)
            else:
                response = self.http.post(self.url, **kwargs)
        except Exception as error:  # any exception escaping the view is the finding
            frames = traceback.extract_tb(error.__traceback__)
            ours = [f for f in frames if "/tandem/" in f.filename and ".venv" not in f.filename]
            frame = (ours or frames)[-1]
            self.failures.append(
                f"{self.label} as {self.who}, {what}: {type(error).__name__}: "
                f"{str(error)[:160]} (at {frame.filename.rsplit('tandem/', 1)[-1]}:{frame.lineno})"
            )
            return None
        if response.status_code >= 500:
            self.failures.append(f"{self.label} as {self.who}, {what}: {response.status_code}")
        return response

    def run(self) -> None:
        for number, query in enumerate(JUNK_QUERIES, start=1):
            self.send(f"GET with junk query {number}", "GET", data=query)
        page = self.send("GET", "GET")
        self.send("POST with empty body", "POST", data={})
        self.send(
            "POST of malformed JSON",
            "POST",
            data=MALFORMED_JSON,
            content_type="application/json",
        )
        if page is None or not page.headers.get("Content-Type", "").startswith("text/html"):
            return
        html = page.content.decode(errors="replace")
        for action, fields in _forms(html):
            if action and action != self.label:
                self.elsewhere.setdefault(action, {}).update(fields)
        self.send_fields(_fields(html))

    def send_fields(self, fields: dict[str, str]) -> None:
        """Send the page's own fields, filled with junk, by GET and by POST."""
        if not fields:
            return
        for what, data in _variants(fields):
            # The page's search and filter forms are sent by GET, the others by POST.
            self.send(f"GET with {what}", "GET", data=data)
            self.send(f"POST with {what}", "POST", data=data)


def _world() -> dict[str, Any]:
    """Return one user of each kind for the URLs that take no object id."""
    from tandem.core.tests.factories import (
        ClientFactory,
        OrganisationFactory,
        UserFactory,
        add_to_care_team,
        make_staff,
    )

    practice = OrganisationFactory()
    therapist = make_staff(Role.THERAPIST)
    prescriber = make_staff(Role.PRESCRIBER, practice)
    client_user = UserFactory()
    client = ClientFactory(user=client_user)
    add_to_care_team(client, therapist, Role.THERAPIST, primary=True)
    add_to_care_team(client, prescriber, Role.PRESCRIBER)
    return {
        "therapist": therapist,
        "prescriber": prescriber,
        "coordinator": make_staff(Role.COORDINATOR, practice),
        "practice admin": make_staff(Role.PRACTICE_ADMIN, practice),
        "client": client_user,
        "anonymous visitor": None,
        "practice": practice,
    }


def _plan(route: Route, world: dict[str, Any]) -> tuple[str, dict[str, Any]] | str:
    """Return the URL and who probes it, or why the route is not probed."""
    if not route.module.startswith("tandem."):
        return _plan_third_party(route, world)
    built: dict[str, Target] = {}
    values: dict[str, Any] = {}
    for kwarg in route.kwargs:
        if kwarg in REGISTRY:
            built[kwarg] = REGISTRY[kwarg](built)
            values[kwarg] = built[kwarg].value
        elif kwarg == "practice_id":
            values[kwarg] = world["practice"].public_id
        elif kwarg in NOT_OBJECT_IDS:
            values[kwarg] = NOT_OBJECT_IDS[kwarg][1]
        else:
            return f"takes <{kwarg}>, unknown to {REGISTRY}"
    url = reverse(route.name, kwargs=values)
    if built:
        target = list(built.values())[-1]
        allowed = target.allowed_by_route.get(route.name, target.allowed)
        return url, {"allowed user": allowed, "anonymous visitor": None}
    people = {k: v for k, v in world.items() if k != "practice"}
    return url, people


def _plan_third_party(route: Route, world: dict[str, Any]) -> tuple[str, dict[str, Any]] | str:
    """Return the URL of an allauth or Django admin pattern and who probes it."""
    if route.namespace == "admin":
        if route.kwargs:
            return "Django's own admin page for one object (superusers only, behind admin_view)"
        return reverse(route.name), {"anonymous visitor": None, "therapist": world["therapist"]}
    if not route.name:
        return "an unnamed pattern"
    for junk in ("abc", "1"):
        try:
            url = reverse(route.name, kwargs=dict.fromkeys(route.kwargs, junk))
        except NoReverseMatch:
            continue
        return url, {"anonymous visitor": None, "therapist": world["therapist"]}
    return "no junk value fits its path arguments"


@pytest.mark.django_db
def test_no_url_answers_junk_input_with_a_server_error():
    # Given every URL pattern, a real object behind each path argument and a user allowed to
    # use it (plus a user of each kind for the URLs without an object, and a stranger)
    world = _world()
    failures: list[str] = []
    probed: list[str] = []
    skipped: dict[str, str] = {}

    # When each of them sends junk queries, empty and junk-filled forms and malformed JSON
    planned: dict[str, tuple[str, dict[str, Any]]] = {}
    posted_from_elsewhere: dict[str, dict[str, str]] = {}
    for route in routes():
        plan = _plan(route, world)
        if isinstance(plan, str):
            skipped[route.label] = plan
            continue
        url, people = planned[route.label] = plan
        for who, user in people.items():
            prober = Prober(route.label, url, user, who, failures)
            prober.run()
            for action, fields in prober.elsewhere.items():
                posted_from_elsewhere.setdefault(action, {}).update(fields)
        probed.append(route.label)
    # A URL that only takes a POST gets the fields of the forms on other pages that post to it.
    for label, fields in posted_from_elsewhere.items():
        url, people = planned[label]
        for who, user in people.items():
            Prober(label, url, user, who, failures).send_fields(fields)

    # Then nothing answers with a server error, and every Tandem URL was probed
    assert failures == [], "\n".join(failures)
    tandem_routes = {r.label for r in routes() if r.module.startswith("tandem.")}
    assert tandem_routes <= set(probed)
    assert all(label.startswith("admin:") or "django-admin" in label for label in skipped)
    # and the URLs that only take a POST got the fields of the forms that post to them
    assert {"measures:tracker_new", "scheduling_settings:hours_add"} <= set(posted_from_elsewhere)
