"""The public practice page and its contact form: warning, honeypot, rate limit, inbox, acknowledgement."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from tandem.audit.models import AuditEvent
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.intake.actions import ACK_BODY, ACK_SUBJECT
from tandem.intake.models import ContactMessage
from tandem.intake.tests.factories import practice_with_policy
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db

MESSAGE = {
    "name": "Jordan Pike",
    "email": "jordan.pike@example.test",
    "phone": "",
    "question": "Do you have evening hours?",
    "website": "",
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def test_the_page_offers_the_bot_and_says_nothing_is_committed_before_payment_and_confirmation(
    client,
):
    p = practice_with_policy()
    response = client.get(reverse("intake:practice", args=[p.org.public_id]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Request an appointment" in body
    assert (
        "You are NOT financially committed to anything until you enter your payment information "
        "AND your appointment is confirmed." in body
    )
    assert "Please do not include clinical details" in body
    assert 'href="tel:988"' in body
    assert 'href="tel:911"' in body
    assert reverse("intake:start", args=[p.org.public_id]) in body


def test_a_message_lands_in_the_coordinators_inbox_and_the_sender_gets_a_phi_free_acknowledgement(
    client, django_capture_on_commit_callbacks
):
    p = practice_with_policy()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("intake:practice", args=[p.org.public_id]), MESSAGE)
    assert response.status_code == 302
    message = ContactMessage.objects.get()
    assert (message.organisation, message.name, message.question) == (
        p.org,
        "Jordan Pike",
        "Do you have evening hours?",
    )
    run_worker()
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["jordan.pike@example.test"], ACK_SUBJECT, ACK_BODY)
    ]
    assert "evening" not in mail.outbox[0].body
    assert p.org.name not in mail.outbox[0].body

    client.force_login(p.coordinator)
    inbox = client.get(reverse("intake:inbox")).content.decode()
    assert "Do you have evening hours?" in inbox
    assert "Jordan Pike" in inbox


def test_the_inbox_shows_only_the_coordinators_own_practice(client):
    mine, other = practice_with_policy(), practice_with_policy()
    ContactMessage.objects.create(
        organisation=other.org, name="Someone Else", email="x@example.test", question="Hours?"
    )
    client.force_login(mine.coordinator)
    assert "Someone Else" not in client.get(reverse("intake:inbox")).content.decode()
    client.force_login(make_staff(Role.COORDINATOR, mine.org, mfa=False))
    assert client.get(reverse("intake:inbox")).status_code == 302  # sent to MFA enrolment first


def test_reading_the_inbox_is_recorded_in_the_audit_trail_with_the_messages_shown(client):
    p = practice_with_policy()
    shown = ContactMessage.objects.create(
        organisation=p.org, name="Jordan Pike", email="jp@example.test", question="Hours?"
    )
    client.force_login(p.coordinator)

    client.get(reverse("intake:inbox"))

    (event,) = AuditEvent.objects.filter(action="view", object_type="intake.contactmessage")
    assert (event.actor_id, event.organisation_id) == (p.coordinator.pk, str(p.org.public_id))
    assert event.detail == {"list": "contact_inbox", "messages": [str(shown.public_id)]}
    assert "Jordan" not in str(event.detail)


def test_a_double_click_on_send_sends_one_message_and_one_confirmation(
    client, django_capture_on_commit_callbacks
):
    p = practice_with_policy()
    url = reverse("intake:practice", args=[p.org.public_id])
    page = client.get(url).content.decode()
    key = re.search(r'name="submission" value="([0-9a-f-]{36})"', page)
    assert key, "the form carries a per-page submission key"

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, MESSAGE | {"submission": key[1]})
        second = client.post(url, MESSAGE | {"submission": key[1]})
    run_worker()

    assert (first.status_code, second.status_code) == (302, 302)
    assert ContactMessage.objects.count() == 1
    assert len(mail.outbox) == 1
    # A fresh page load is a new message, even with the same words
    again = re.search(
        r'name="submission" value="([0-9a-f-]{36})"', client.get(url).content.decode()
    )
    assert again
    assert again[1] != key[1]
    client.post(url, MESSAGE | {"submission": again[1]})
    assert ContactMessage.objects.count() == 2


def test_a_filled_honeypot_is_thanked_but_nothing_is_kept(client):
    p = practice_with_policy()
    response = client.post(
        reverse("intake:practice", args=[p.org.public_id]), MESSAGE | {"website": "http://spam"}
    )
    assert response.status_code == 302
    assert not ContactMessage.objects.exists()
    assert not AuditEvent.objects.filter(object_type="intake.contactmessage").exists()


def test_more_than_five_messages_an_hour_from_one_address_are_refused_with_a_reason(client):
    p = practice_with_policy()
    url = reverse("intake:practice", args=[p.org.public_id])
    for _ in range(5):
        assert client.post(url, MESSAGE).status_code == 302
    response = client.post(url, MESSAGE)
    assert response.status_code == 400
    assert "You have sent several messages in the last hour" in response.content.decode()
    assert ContactMessage.objects.count() == 5


def test_a_message_without_email_names_the_field(client):
    p = practice_with_policy()
    response = client.post(
        reverse("intake:practice", args=[p.org.public_id]), MESSAGE | {"email": "not-an-email"}
    )
    assert response.status_code == 400
    assert "Email: Enter a valid email address." in response.content.decode()
    assert not ContactMessage.objects.exists()


def test_a_mangled_submission_key_still_sends_the_message(client):
    p = practice_with_policy()
    url = reverse("intake:practice", args=[p.org.public_id])

    response = client.post(url, MESSAGE | {"submission": "not-a-key"})

    assert response.status_code == 302
    assert ContactMessage.objects.get().submission_key is None
