"""Nothing clinical exists until the bot's person proves their email; starts are rate limited."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client as Browser
from django.urls import reverse

from tandem.accounts.models import User
from tandem.care.models import SafetyAlert
from tandem.clients.models import Client
from tandem.intake.models import IntakeSession
from tandem.intake.tests.factories import FITTING_ANSWERS, practice_with_policy
from tandem.measures.models import QuestionnaireResponse
from tandem.notifications.models import Notification, NotificationKind
from tandem.tests.support.http import Client as SignedIn

pytestmark = pytest.mark.django_db

PASSWORD = {"password1": "harbour lantern quietly 73", "password2": "harbour lantern quietly 73"}
EMAIL = "rowan.whitcombe@example.test"


def start(browser, p):
    return browser.post(reverse("intake:start", args=[p.org.public_id]))


def answer(browser, p, step, data):
    return browser.post(reverse("intake:thread", args=[p.org.public_id]), {"step": step, **data})


def clinical_rows():
    return {
        "users": User.objects.count(),
        "emails": EmailAddress.objects.count(),
        "clients": Client.objects.count(),
        "responses": QuestionnaireResponse.objects.count(),
        "alerts": SafetyAlert.objects.count(),
    }


def finish_the_bot(browser, p, answers=FITTING_ANSWERS, capture=None):
    start(browser, p)
    for step, data in answers:
        answer(browser, p, step, data)
    if capture is None:
        return answer(browser, p, "account", {})
    with capture(execute=True):
        return answer(browser, p, "account", {})


def link_in(message):
    found = re.search(r"https?://\S+(/intake/confirm/[^/\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def new_rows(before):
    """Return how many rows of each kind were added since ``before``."""
    return {kind: count - before[kind] for kind, count in clinical_rows().items()}


NOTHING = {"users": 0, "emails": 0, "clients": 0, "responses": 0, "alerts": 0}


def test_anonymous_starts_create_no_clinical_rows_and_the_limit_refuses_the_next_start(settings):
    # Given a practice whose bot allows 3 starts an hour from one address
    settings.TANDEM_RATE_LIMITS = {**settings.TANDEM_RATE_LIMITS, "intake_start": "3/h/ip"}
    p = practice_with_policy()
    before = clinical_rows()

    # When 4 fresh browsers from the same address press Start
    responses = [start(Browser(), p) for _ in range(4)]

    # Then 3 get a bot session and no clinical record; the 4th is refused with a clear page
    assert [r.status_code for r in responses] == [302, 302, 302, 429]
    assert IntakeSession.objects.count() == 3
    assert new_rows(before) == NOTHING
    page = responses[3].content.decode()
    assert "Too many appointment requests from your network" in page
    assert "Please try again in an hour, or call the practice." in page
    assert 'href="tel:988"' in page


def test_finishing_the_bot_without_verifying_creates_no_records_and_sends_a_link_without_phi(
    client, django_capture_on_commit_callbacks
):
    # Given a person who answers every question, with a positive PHQ-9 item 9
    p = practice_with_policy()
    before = clinical_rows()
    answers = [
        (step, data | {"item9": "2"} if step == "phq9" else data) for step, data in FITTING_ANSWERS
    ]

    # When they reach the end of the bot
    response = finish_the_bot(client, p, answers, django_capture_on_commit_callbacks)

    # Then they are asked to check their email; no account, client, result or alert exists
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:verify", args=[p.org.public_id])
    assert new_rows(before) == NOTHING
    session = IntakeSession.objects.get()
    assert session.answers["phq9"]["item9"] == "2"  # kept in the bot session only
    assert (session.user, session.client, session.finished_at) == (None, None, None)
    # And the email holds a one-time link and nothing about them or the practice
    assert [m.to for m in mail.outbox] == [[EMAIL]]
    body = mail.outbox[0].subject + mail.outbox[0].body
    for private in ("Rowan", "Whitcombe", p.org.name, "PHQ", "1990"):
        assert private not in body
    assert link_in(mail.outbox[0]).startswith("/intake/confirm/")
    page = client.get(response["Location"]).content.decode()
    assert "We sent a link to confirm your email address" in page


def test_verifying_creates_exactly_one_set_of_records_and_the_link_works_once(
    client, django_capture_on_commit_callbacks
):
    # Given a person who finished the bot and received the link
    p = practice_with_policy()
    before = clinical_rows()
    finish_the_bot(client, p, capture=django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])

    # When the link is opened (a mail scanner's GET changes nothing) and they choose a password
    on_phone = Browser()
    assert on_phone.get(link).status_code == 200
    assert new_rows(before) == NOTHING
    done = on_phone.post(link, PASSWORD)
    again = on_phone.post(link, PASSWORD)

    # Then exactly one verified account, one client and the two intake results exist
    assert done.status_code == 302
    assert again.status_code == 404
    assert "This link was already used or has expired" in again.content.decode()
    user = User.objects.get(email=EMAIL)
    assert EmailAddress.objects.get(user=user).verified
    created = Client.objects.get(user=user)
    assert (created.user, created.first_name) == (user, "Rowan")
    assert sorted(r.instrument for r in QuestionnaireResponse.objects.filter(client=created)) == [
        "gad-7",
        "phq-9",
    ]
    assert SafetyAlert.objects.count() == 0
    session = IntakeSession.objects.get()
    assert (session.user, session.client) == (user, created)

    # And once signed in with that password, the finished intake leads to slot choice
    assert user.check_password(PASSWORD["password1"])
    on_phone.force_login(user)
    response = on_phone.get(reverse("intake:thread", args=[p.org.public_id]))
    assert response["Location"] == reverse("scheduling:book", args=[p.org.public_id])
    assert new_rows(before) == {**NOTHING, "users": 1, "emails": 1, "clients": 1, "responses": 2}


def test_a_crisis_answer_shows_crisis_resources_at_once_and_raises_the_alert_on_verification(
    client, django_capture_on_commit_callbacks
):
    # Given a person half-way through the bot
    p = practice_with_policy()
    start(client, p)
    for step, data in FITTING_ANSWERS[:6]:
        answer(client, p, step, data)

    # When they answer PHQ-9 item 9 above zero
    answer(client, p, "phq9", {f"item{i}": "0" for i in range(1, 9)} | {"item9": "1"})

    # Then crisis resources show at once, before any verification, and no alert exists yet
    page = client.get(reverse("intake:thread", args=[p.org.public_id])).content.decode()
    assert 'href="tel:988"' in page
    assert 'href="tel:911"' in page
    assert 'href="tel:+18337732445"' in page
    assert "Massachusetts Behavioral Health Help Line" in page
    assert SafetyAlert.objects.count() == 0

    # And they still see them on the "check your email" page
    for step, data in FITTING_ANSWERS[7:]:
        answer(client, p, step, data)
    with django_capture_on_commit_callbacks(execute=True):
        sent = answer(client, p, "account", {})
    page = client.get(sent["Location"]).content.decode()
    assert 'href="tel:988"' in page
    assert SafetyAlert.objects.count() == 0

    # When they verify their email
    with django_capture_on_commit_callbacks(execute=True):
        Browser().post(link_in(mail.outbox[0]), PASSWORD)

    # Then one questionnaire alert is raised then, for the practice they asked to be seen by
    alert = SafetyAlert.objects.get()
    assert (alert.client, alert.organisation, alert.source) == (
        Client.objects.get(user__email=EMAIL),
        p.org,
        "questionnaire",
    )
    phq9 = QuestionnaireResponse.objects.get(instrument="phq-9")
    assert phq9.safety_alert_id == alert.public_id

    # And a clinician who can act is told at once: the client has no care team yet, so the
    # practice they reached is paged, and with nobody marked on call its prescriber hears
    from tandem.care.models import SafetyAlertEvent

    assert alert.paged_organisation == p.org
    told = SafetyAlertEvent.objects.get(alert=alert, kind="notified").detail["users"]
    assert told == [p.prescriber.pk]
    # and the notification's link opens the alert for them
    note = Notification.objects.get(recipient=p.prescriber, kind=NotificationKind.SAFETY_ALERT)
    prescriber = SignedIn()
    prescriber.force_login(p.prescriber)
    assert prescriber.get(note.link).status_code == 200


def test_an_email_with_an_account_gets_no_link_and_the_same_page(
    client, django_capture_on_commit_callbacks
):
    # Given an address that already has an account
    from tandem.core.tests.factories import UserFactory

    UserFactory(email=EMAIL)
    p = practice_with_policy()
    before = clinical_rows()

    # When someone finishes the bot with it
    response = finish_the_bot(client, p, capture=django_capture_on_commit_callbacks)

    # Then the page reads the same; the address is told it has an account (no link); nothing new
    assert response["Location"] == reverse("intake:verify", args=[p.org.public_id])
    assert [m.to for m in mail.outbox] == [[EMAIL]]
    assert "/intake/confirm/" not in mail.outbox[0].body
    assert new_rows(before) == NOTHING


def test_changing_the_email_after_the_link_was_sent_voids_the_link(
    client, django_capture_on_commit_callbacks
):
    # Given a person who received the link
    p = practice_with_policy()
    before = clinical_rows()
    finish_the_bot(client, p, capture=django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])

    # When they change their email answer, and the first link is opened
    answer(client, p, "contact", {"email": "someone.else@example.test", "phone": ""})
    response = Browser().post(link, PASSWORD)

    # Then the old link opens nothing
    assert response.status_code == 404
    assert new_rows(before) == NOTHING


def test_sending_the_link_again_is_rate_limited(
    client, settings, django_capture_on_commit_callbacks
):
    # Given a bot that sends at most 2 links an hour for one intake
    settings.TANDEM_RATE_LIMITS = {
        **settings.TANDEM_RATE_LIMITS,
        "intake_start": "10/h/ip",
        "intake_link": "2/h/key",
    }
    p = practice_with_policy()
    finish_the_bot(client, p, capture=django_capture_on_commit_callbacks)

    # When the last step is sent twice more
    with django_capture_on_commit_callbacks(execute=True):
        second = answer(client, p, "account", {})
        third = answer(client, p, "account", {})

    # Then the third send is refused plainly on the bot's page and sends nothing
    assert second.status_code == 302
    assert third.status_code == 429
    page = third.content.decode()
    assert "We already sent you a link several times" in page
    assert "Last step: confirm your email address." in page
    assert len(mail.outbox) == 2

    # And through HTMX the refusal is a 400 the page swaps in, not a silent 429
    with django_capture_on_commit_callbacks(execute=True):
        swapped = client.post(
            reverse("intake:thread", args=[p.org.public_id]),
            {"step": "account"},
            headers={"HX-Request": "true"},
        )
    assert swapped.status_code == 400
    assert "We already sent you a link several times" in swapped.content.decode()
    assert len(mail.outbox) == 2


def test_unverified_bot_sessions_are_purged_after_a_week(client):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from tandem.intake.tasks import purge_unverified_intakes

    # Given an unverified bot session with answers, and one that was verified
    p = practice_with_policy()
    start(client, p)
    for step, data in FITTING_ANSWERS:
        answer(client, p, step, data)
    verified = IntakeSession.objects.create(
        organisation=p.org, user=User.objects.create_user(email="v@example.test"), answers={}
    )

    # When the purge runs six days later, then eight days later
    with time_machine.travel(timezone.now() + dt.timedelta(days=6)):
        purge_unverified_intakes.call()
        kept = IntakeSession.objects.count()
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        purge_unverified_intakes.call()

    # Then the unverified answers are gone after the week; the verified session stays
    assert kept == 2
    assert list(IntakeSession.objects.all()) == [verified]
