"""The caseload list and the client record pages."""

import re

import pytest
from django.urls import reverse

from tandem.audit.models import AuditAction, AuditEvent
from tandem.clients.views import PAGE_SIZE
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, add_to_care_team, make_staff
from tandem.tests.support.audit import fewer_on_postgresql

pytestmark = pytest.mark.django_db


def test_the_caseload_lists_my_clients_in_name_order_and_nobody_elses(client):
    therapist = make_staff(Role.THERAPIST)
    for last in ("Yew", "Ash"):
        add_to_care_team(ClientFactory(first_name="Kit", last_name=last), therapist, Role.THERAPIST)
    ClientFactory(first_name="Noor", last_name="Elsewhere")
    client.force_login(therapist)

    body = client.get(reverse("clients:list")).content.decode()

    assert body.index("Ash, Kit") < body.index("Yew, Kit")
    assert "Elsewhere" not in body


def test_an_empty_caseload_says_so_and_records_no_read(client):
    client.force_login(make_staff(Role.PRESCRIBER))

    body = client.get(reverse("clients:list")).content.decode()

    assert "No clients on your care teams yet." in body
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


def test_the_record_shows_the_client_and_the_care_team(client):
    record_ = ClientFactory(first_name="Kit", last_name="Ash")
    therapist = make_staff(Role.THERAPIST, full_name="Theo Therapist")
    add_to_care_team(record_, therapist, Role.THERAPIST, primary=True)
    client.force_login(therapist)

    body = client.get(reverse("clients:detail", args=[record_.public_id])).content.decode()

    assert "<h1>Kit Ash</h1>" in body
    assert "Theo Therapist — Therapist (primary therapist)" in body


@pytest.mark.parametrize("count", [10, 200])
def test_the_caseload_runs_the_same_number_of_queries_however_many_clients(
    client, count, django_assert_num_queries
):
    therapist = make_staff(Role.THERAPIST)
    for _ in range(count):
        add_to_care_team(ClientFactory(), therapist, Role.THERAPIST)
    client.force_login(therapist)

    # session, user (with their second factor and client record: tandem.accounts.backends;
    # the MFA check and the client-record check for the audit role were two more queries),
    # memberships, the caseload's count, its page in one query, the audit write (savepoint,
    # chain head, insert, head update, the page's clients indexed in one insert, release),
    # no open-alert banner query (no alert waits for the viewer: asked with the user), was 12 (no session write: at most once a minute)
    with django_assert_num_queries(11 - fewer_on_postgresql(indexed=1)):
        response = client.get(reverse("clients:list"))

    shown = re.findall(r'href="/clients/[0-9a-f-]{36}/"', response.content.decode())
    assert len(shown) == min(count, PAGE_SIZE)


def test_the_caseload_comes_in_pages_of_50_each_view_one_bounded_audit_row(client):
    # Given a therapist with 120 clients
    therapist = make_staff(Role.THERAPIST)
    clients = [ClientFactory(last_name=f"Name{i:03d}") for i in range(120)]
    for record_ in clients:
        add_to_care_team(record_, therapist, Role.THERAPIST)
    client.force_login(therapist)

    # When they open the first page, then the last
    first = client.get(reverse("clients:list")).content.decode()
    last = client.get(reverse("clients:list"), {"page": 3}).content.decode()

    # Then each page shows its 50 (or the rest) in name order, with links between pages
    assert re.findall(r"Name\d{3}", first) == [f"Name{i:03d}" for i in range(50)]
    assert re.findall(r"Name\d{3}", last) == [f"Name{i:03d}" for i in range(100, 120)]
    assert "120 clients; showing 1 to 50." in first
    assert "Page 1 of 3" in first
    assert '<a href="?page=2" rel="next">Next</a>' in first
    assert '<a href="?page=2" rel="prev">Previous</a>' in last
    # and each view wrote one audit row naming that page's clients and the caseload's size
    rows = list(AuditEvent.objects.filter(action=AuditAction.VIEW).order_by("seq"))
    assert [row.detail for row in rows] == [
        {
            "list": "caseload",
            "page": 1,
            "clients": [str(c.public_id) for c in clients[:50]],
            "total": 120,
        },
        {
            "list": "caseload",
            "page": 3,
            "clients": [str(c.public_id) for c in clients[100:]],
            "total": 120,
        },
    ]
