"""The notifications page: fixed texts with a link, read once opened, only the user's own."""

import re

import pytest
from django.urls import reverse

from tandem.core.roles import Role
from tandem.core.tests.factories import UserFactory, make_staff
from tandem.notifications.actions import notify
from tandem.notifications.models import Notification, NotificationKind
from tandem.tests.support.http import Client as HttpClient

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
    first = notify([user], NotificationKind.RELEASE_TO_SIGN, "/consent/releases/")[0]
    second = notify([user], NotificationKind.RELEASE_REVOKED, "/consent/releases/")[0]
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
    for n in (first, second):
        assert f'href="{reverse("notifications:open", args=[n.public_id])}"' in page
    assert "/elsewhere/" not in page


def test_looking_at_the_list_leaves_the_notifications_unread():
    user = UserFactory.create()
    notify([user], NotificationKind.RELEASE_TO_SIGN, "/consent/releases/")
    browser = http(user)

    browser.get(reverse("notifications:list"))
    again = browser.get(reverse("notifications:list")).content.decode()

    assert Notification.objects.get(recipient=user).read_at is None
    assert "New" in items(again)[0]


def test_opening_a_notification_marks_it_read_and_goes_to_its_page():
    user = UserFactory.create()
    opened = notify([user], NotificationKind.RELEASE_TO_SIGN, "/consent/releases/")[0]
    other = notify([user], NotificationKind.RELEASE_SIGNED, "/consent/releases/")[0]
    browser = http(user)

    response = browser.get(reverse("notifications:open", args=[opened.public_id]))

    assert response.status_code == 302
    assert response.headers["Location"] == "/consent/releases/"
    opened.refresh_from_db()
    other.refresh_from_db()
    assert opened.read_at is not None
    assert other.read_at is None
    listed = items(browser.get(reverse("notifications:list")).content.decode())
    assert ["New" in text for text in listed] == [True, False]


def test_someone_elses_notification_cannot_be_opened_or_marked():
    owner, stranger = UserFactory.create(), UserFactory.create()
    notification = notify([owner], NotificationKind.RELEASE_TO_SIGN, "/consent/releases/")[0]

    response = http(stranger).get(reverse("notifications:open", args=[notification.public_id]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_link_that_leaves_tandem_is_not_followed():
    user = UserFactory.create()
    notification = notify([user], NotificationKind.GENERAL, "//evil.example/phish")[0]

    response = http(user).get(reverse("notifications:open", args=[notification.public_id]))

    assert response.headers["Location"] == reverse("notifications:list")


def test_mark_all_as_read_is_a_button_that_posts_and_only_touches_the_users_own():
    user, other = UserFactory.create(), UserFactory.create()
    notify([user], NotificationKind.RELEASE_TO_SIGN, "/a/")
    notify([user], NotificationKind.RELEASE_SIGNED, "/b/")
    theirs = notify([other], NotificationKind.RELEASE_SIGNED, "/c/")[0]
    browser = http(user)
    page = browser.get(reverse("notifications:list")).content.decode()
    assert f'action="{reverse("notifications:mark_all_read")}"' in page

    assert browser.get(reverse("notifications:mark_all_read")).status_code == 405
    response = browser.post(reverse("notifications:mark_all_read"), follow=True)

    assert "Marked 2 notifications as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert "Mark all as read" not in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_navigation_badge_counts_unread_notifications():
    user = UserFactory.create()
    first = notify([user], NotificationKind.RELEASE_TO_SIGN, "/a/")[0]
    notify([user], NotificationKind.RELEASE_SIGNED, "/b/")
    notify([UserFactory.create()], NotificationKind.RELEASE_SIGNED, "/c/")
    browser = http(user)

    before = browser.get(reverse("notifications:unread")).content.decode()
    browser.get(reverse("notifications:open", args=[first.public_id]))
    after = browser.get(reverse("notifications:unread")).content.decode()

    assert before.strip() == '<span class="tag" data-unread="2">2 new</span>'
    assert after.strip() == '<span class="tag" data-unread="1">1 new</span>'


def test_every_page_links_to_notifications_and_loads_the_badge_after_the_page():
    user = make_staff(Role.THERAPIST)

    page = http(user).get(reverse("core:dashboard")).content.decode()

    assert (
        f'<a class="nav-notifications" href="{reverse("notifications:list")}">Notifications' in page
    )
    assert f'hx-get="{reverse("notifications:unread")}" hx-trigger="load"' in page


def test_signed_out_visitors_are_sent_to_sign_in():
    for name in ("notifications:list", "notifications:unread"):  # and open: see the URL walk
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


#: Whatever the number of notifications: the request's own (session, user, navigation) plus the list.
#: (Was 5: the user now comes with their client record, tandem.accounts.backends, so the
#: navigation's own-client lookup is no query of its own.)
LIST_QUERIES = 4


def test_email_names_the_short_reference_and_nothing_about_the_client(
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    from tandem.referrals.tests.factories import ReferralWorld
    from tandem.tests.support.tasks import run_worker

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


def test_the_emails_link_opens_the_notification_so_it_counts_as_read(
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    from tandem.tests.support.tasks import run_worker

    user = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = notify([user], NotificationKind.RELEASE_TO_SIGN, "/consent/releases/")
    run_worker()

    (email,) = mail.outbox
    path = reverse("notifications:open", args=[notification.public_id])
    assert path in email.body
    response = http(user).get(path)
    assert response.headers["Location"] == "/consent/releases/"
    notification.refresh_from_db()
    assert notification.read_at is not None
