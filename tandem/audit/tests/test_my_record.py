"""A client's page of who opened or changed their record."""

import re

import pytest
from django.urls import reverse

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.access import client_for
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    ClientFactory,
    OrganisationFactory,
    UserFactory,
    add_to_care_team,
    make_staff,
)
from tandem.tests.support.http import Client as HttpClient

pytestmark = pytest.mark.django_db
URL = reverse("audit:my_record")


def http(user) -> HttpClient:
    browser = HttpClient()
    browser.force_login(user)
    return browser


def rows(page: str) -> list[str]:
    """Return each table row as its visible text, cells joined by " | "."""
    found = re.findall(r'<tr data-access="\d+">(.*?)</tr>', page, re.S)
    return [
        " | ".join(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells)
        for cells in (re.findall(r"<td>(.*?)</td>", row, re.S) for row in found)
    ]


@pytest.fixture
def world():
    me = UserFactory()
    mine = ClientFactory(user=me)
    practice = OrganisationFactory(name="Harborlight Psychiatry")
    therapist = make_staff(Role.THERAPIST, full_name="Dana Whitfield")
    prescriber = make_staff(Role.PRESCRIBER, practice, full_name="Elena Marsh")
    add_to_care_team(mine, therapist, Role.THERAPIST, primary=True)
    add_to_care_team(mine, prescriber, Role.PRESCRIBER)
    return me, mine, therapist, prescriber, practice


def test_the_client_sees_who_opened_and_changed_their_record_in_what_role(world):
    # Given my therapist and my prescriber opened my record, and my prescriber changed it
    me, mine, therapist, prescriber, practice = world
    client_for(therapist, mine.public_id)
    client_for(prescriber, mine.public_id)
    record(
        actor=prescriber, action=AuditAction.UPDATE, obj=mine, client=mine, organisation=practice
    )
    client_for(me, mine.public_id)  # my own look

    # When I open the page
    page = http(me).get(URL)

    # Then I see each access by someone else, newest first, with who, role, practice and what
    assert page.status_code == 200
    listed = rows(page.content.decode())
    assert [r.split(" | ", 1)[1] for r in listed] == [
        "Elena Marsh | Prescriber | Harborlight Psychiatry | Your record | Changed",
        "Elena Marsh | Prescriber | Harborlight Psychiatry | Your record | Opened",
        f"Dana Whitfield | Therapist | {therapist.memberships.get().organisation.name} "
        "| Your record | Opened",
    ]


def test_lists_that_named_the_client_show_too_with_where_the_reader_works(world):
    # Given my therapist opened their caseload (my name on it) and another client's list
    me, _mine, therapist, _, _ = world
    other = ClientFactory(user=UserFactory())
    add_to_care_team(other, make_staff(Role.THERAPIST), Role.THERAPIST, primary=True)
    http(therapist).get(reverse("clients:list"))
    practice = therapist.memberships.get().organisation.name

    # When I open the page
    listed = rows(http(me).get(URL).content.decode())

    # Then the list read is there, in plain words, with my therapist's practice
    assert [r.split(" | ", 1)[1] for r in listed] == [
        f"Dana Whitfield | Therapist | {practice} | Your name in their list of clients | Opened"
    ]
    # and the other client, who was not on that list, does not see it
    assert rows(http(other.user).get(URL).content.decode()) == []


def test_nobody_sees_another_clients_accesses_and_staff_are_sent_to_their_dashboard(world):
    _me, mine, therapist, _prescriber, _ = world
    someone = ClientFactory(user=UserFactory())
    client_for(therapist, mine.public_id)

    # Another client sees only their own (empty) list
    theirs = http(someone.user).get(URL).content.decode()
    assert rows(theirs) == []
    assert "Nobody but you has opened your record yet." in theirs
    # A clinician has no record of their own here
    response = http(therapist).get(URL)
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("core:dashboard")


def test_the_client_reaches_it_from_the_dashboard_and_the_releases_page(world):
    me = world[0]
    browser = http(me)

    for page in (reverse("core:dashboard"), reverse("consent:mine")):
        assert f'href="{URL}"' in browser.get(page).content.decode()


@pytest.mark.parametrize("n", [2, 60])
def test_the_page_costs_the_same_queries_however_many_accesses(world, n, django_assert_num_queries):
    me, mine, therapist, prescriber, _practice = world
    for i in range(n):
        client_for(therapist if i % 2 else prescriber, mine.public_id)
    browser = http(me)
    browser.get(URL)

    with django_assert_num_queries(QUERIES):
        page = browser.get(URL)
    assert len(rows(page.content.decode())) == min(n, 50)


#: Whatever the number of accesses: the request's own (session, user, navigation), the
#: client's record, the count and the page of events, the people, the practices named,
#: and where the people work. (Was 11: the user now comes with their second factor and
#: client record, tandem.accounts.backends, and the navigation's own-client lookup went.)
QUERIES = 10
