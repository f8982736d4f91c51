"""The notifications page: fixed texts with a link, marked read once seen, only the user's own."""

import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from tandem.core.roles import Role
from tandem.core.tests.factories import UserFactory, make_staff
from tandem.notifications.actions import notify
from tandem.notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db


def http(user=None) -> HttpClient:
    client = HttpClient()
    if user is not None:
        client.force_login(user)
    return client


def items(page: str) -> list[str]:
    """Return each listed notification as its visible text, whitespace folded."""
    found = re.findall(r'<li class="card" data-notification="[0-9a-f-]+">(.*?)</li>', page, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip() for item in found]


def test_lists_the_users_notifications_newest_first_with_fixed_texts_and_links():
    user = UserFactory.create()
    notify([user], NotificationKind.RELEASE_TO_SIGN, "/consent/releases/")
    notify([user], NotificationKind.RELEASE_REVOKED, "/consent/releases/")
    notify([UserFactory.create()], NotificationKind.RELEASE_SIGNED, "/elsewhere/")

    response = http(user).get(reverse("notifications:list"))

    assert response.status_code == 200
    page = response.content.decode()
    listed = items(page)
    assert [text.split(" New ")[0] for text in listed] == [
        "A release was revoked",
        "A release is waiting for your signature",
    ]
    assert all(" New " in text for text in listed)
    assert page.count('href="/consent/releases/"') == 2
    assert "/elsewhere/" not in page


def test_opening_the_page_marks_the_notifications_read():
    user = UserFactory.create()
    notify([user], NotificationKind.RELEASE_TO_SIGN, "/consent/releases/")
    browser = http(user)

    first = browser.get(reverse("notifications:list")).content.decode()
    second = browser.get(reverse("notifications:list")).content.decode()

    assert Notification.objects.get(recipient=user).read_at is not None
    assert "New" in items(first)[0]
    assert "New" not in items(second)[0]


def test_the_navigation_badge_counts_unread_notifications():
    user = UserFactory.create()
    notify([user], NotificationKind.RELEASE_TO_SIGN, "/a/")
    notify([user], NotificationKind.RELEASE_SIGNED, "/b/")
    notify([UserFactory.create()], NotificationKind.RELEASE_SIGNED, "/c/")
    browser = http(user)

    before = browser.get(reverse("notifications:unread")).content.decode()
    browser.get(reverse("notifications:list"))
    after = browser.get(reverse("notifications:unread")).content.decode()

    assert before.strip() == '<span class="tag" data-unread="2">2 new</span>'
    assert after.strip() == ""


def test_every_page_links_to_notifications_and_loads_the_badge_after_the_page():
    user = make_staff(Role.THERAPIST)

    page = http(user).get(reverse("core:dashboard")).content.decode()

    assert f'<a href="{reverse("notifications:list")}">Notifications' in page
    assert f'hx-get="{reverse("notifications:unread")}" hx-trigger="load"' in page


def test_signed_out_visitors_are_sent_to_sign_in():
    for name in ("notifications:list", "notifications:unread"):
        response = http().get(reverse(name))
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("n", [2, 40])
def test_the_page_costs_a_constant_number_of_queries(n, django_assert_num_queries):
    user = UserFactory.create()
    for i in range(n):
        notify([user], NotificationKind.GENERAL, f"/item/{i}/")
    browser = http(user)
    browser.get(reverse("core:dashboard"))

    with django_assert_num_queries(LIST_QUERIES):
        response = browser.get(reverse("notifications:list"))

    assert len(items(response.content.decode())) == n


#: Whatever the number of notifications: the request's own (session, user, navigation) plus the list and marking it read.
LIST_QUERIES = 9


def test_email_names_the_short_reference_and_nothing_about_the_client(
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    from tandem.core.testing.tasks import run_worker
    from tandem.referrals.tests.factories import ReferralWorld

    world = ReferralWorld()
    with django_capture_on_commit_callbacks(execute=True):
        referral = world.sent()
    run_worker()

    assert referral.reference.startswith("R-")
    assert len(referral.reference) == 6
    bodies = [m.body for m in mail.outbox]
    assert bodies
    assert all(f"({referral.reference})" in body for body in bodies)
    assert all(world.client.last_name not in body for body in bodies)
