"""Every page about one client names that client: a sticky header with name and date of birth.

A wrong-patient error starts with a page that does not say whose it is. The pages are
found the way the URL walk finds them (every URL whose id leads to one client, from the
URL conf), so a clinical page added later is held to the header without anyone listing it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import dateformat

from tandem.audit.models import AuditEvent
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.tests.support.http import Client as HttpClient
from tandem.tests.support.url_objects import NOT_OBJECT_IDS, REGISTRY, Target
from tandem.tests.support.urlwalk import routes, skip_reason

HEADER = re.compile(r"<(?:div|section)[^>]*data-client-header[^>]*>(.*?)</(?:div|section)>", re.S)


def _client_pages() -> list[Any]:
    """Return every route whose ids are registered and lead to one client."""
    found = []
    for route in routes():
        if skip_reason(route) or not route.module.startswith("tandem."):
            continue
        if any(k not in REGISTRY and k not in NOT_OBJECT_IDS for k in route.kwargs):
            continue
        found.append(route)
    return found


def _build(route: Any) -> tuple[str, Target, dict[str, Target]]:
    built: dict[str, Target] = {}
    for kwarg in route.kwargs:
        if kwarg in REGISTRY:
            built[kwarg] = REGISTRY[kwarg](built)
    values = {k: NOT_OBJECT_IDS[k][1] for k in route.kwargs if k not in built}
    values |= {k: t.value for k, t in built.items()}
    return reverse(route.name, kwargs=values), list(built.values())[-1], built


def _header(body: str) -> str:
    match = HEADER.search(body)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


@pytest.mark.django_db
def test_every_page_about_one_client_names_them_with_their_date_of_birth_and_audits_the_read():
    checked, missing = [], []
    for route in _client_pages():
        url, target, _ = _build(route)
        client = target.objects.get("client")
        if client is None:
            continue
        reader = target.allowed_by_route.get(route.name, target.allowed)
        if reader == client.user:
            continue  # the client's own pages: see the test below
        http = HttpClient()
        http.force_login(reader)
        before = AuditEvent.objects.filter(client_id=str(client.public_id)).count()
        response = http.get(url)
        is_page = response.headers.get("Content-Type", "").startswith("text/html")
        if response.status_code != 200 or not is_page:
            continue  # downloads, POST-only moves and redirects carry no page
        header = _header(response.content.decode())
        born = dateformat.format(client.date_of_birth, "j M Y")
        if f"{client.first_name} {client.last_name}" not in header or born not in header:
            missing.append(f"{route.name}: header {header!r}")
            continue
        # The header is the page's own read of the client, through the access door, audited
        after = AuditEvent.objects.filter(client_id=str(client.public_id)).count()
        if after <= before:
            missing.append(f"{route.name}: the read was not audited")
        checked.append(route.name)

    assert missing == [], "\n".join(missing)
    # The pages the wrong-patient risk was found on are among those walked.
    assert {
        "care:note",
        "care:checkin",
        "care:alert",
        "care:timeline",
        "care:medications",
        "referrals:detail",
        "clients:detail",
        "measures:client",
    } <= set(checked)


@pytest.mark.django_db
def test_a_coordinator_sees_whose_appointment_it_is_and_the_client_sees_no_header_about_themself():
    route = next(r for r in routes() if r.name == "scheduling:appointment")
    url, target, _ = _build(route)
    client = target.objects["client"]
    coordinator = target.allowed_by_route["scheduling:confirm"]

    staff = HttpClient()
    staff.force_login(coordinator)
    header = _header(staff.get(url).content.decode())

    own = HttpClient()
    own.force_login(client.user)
    body = own.get(url).content.decode()

    assert f"{client.first_name} {client.last_name}" in header
    assert dateformat.format(client.date_of_birth, "j M Y") in header
    assert _header(body) == ""


@pytest.mark.django_db
def test_a_page_refused_to_the_reader_shows_no_header():
    route = next(r for r in routes() if r.name == "care:note")
    url, _, _ = _build(route)
    outsider = make_staff(Role.PRESCRIBER)
    http = HttpClient()
    http.force_login(outsider)

    response = http.get(url)

    assert response.status_code == 404
    assert _header(response.content.decode()) == ""
    assert "Qzfirstcanary" not in response.content.decode()


@pytest.mark.django_db
def test_the_receiving_practice_sees_the_referred_client_by_first_name_only_as_the_page_does():
    route = next(r for r in routes() if r.name == "referrals:detail")
    url, target, _ = _build(route)
    client = target.objects["client"]
    coordinator = (
        target.objects["referral"]
        .to_organisation.memberships.get(role=Role.COORDINATOR, user__authenticator__isnull=False)
        .user
    )
    http = HttpClient()
    http.force_login(coordinator)

    header = _header(http.get(url).content.decode())

    assert header == f"Client {client.first_name}"
