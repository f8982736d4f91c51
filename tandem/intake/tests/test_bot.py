"""The appointment bot over HTTP: one question at a time, kind refusals, edit, resume, account."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tandem.clients.models import Client
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.core.tests.factories import OrganisationFactory, UserFactory, make_staff
from tandem.intake import actions
from tandem.intake.models import IntakeSession
from tandem.intake.tests.factories import FITTING_ANSWERS, practice_with_policy
from tandem.intake.views import UNKNOWN_STEP_MESSAGE
from tandem.referrals.models import PracticePolicy, ReferralStatus
from tandem.referrals.tests.factories import ReferralWorld

pytestmark = pytest.mark.django_db


def thread_url(p):
    return reverse("intake:thread", args=[p.org.public_id])


def begin(client, p):
    assert client.get(reverse("intake:start", args=[p.org.public_id])).status_code == 200
    assert not IntakeSession.objects.exists()  # a GET creates nothing
    client.post(reverse("intake:start", args=[p.org.public_id]))
    return IntakeSession.objects.get()


def answer(client, p, step, data):
    return client.post(thread_url(p), {"step": step, **data})


def test_each_question_comes_alone_and_the_answers_are_kept_server_side(client):
    p = practice_with_policy()
    session = begin(client, p)
    page = client.get(thread_url(p)).content.decode()
    assert "What is your name?" in page
    assert "What is your date of birth?" not in page
    assert 'aria-live="polite"' in page
    assert '<label for="id_first_name"' in page

    response = answer(client, p, "name", FITTING_ANSWERS[0][1])
    assert response.status_code == 302
    page = client.get(thread_url(p)).content.decode()
    assert "Rowan Whitcombe" in page
    assert "What is your date of birth?" in page
    session.refresh_from_db()
    assert session.answers == {"name": {"first_name": "Rowan", "last_name": "Whitcombe"}}


@pytest.mark.parametrize(
    ("born", "message"),
    [
        (
            (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
            "The date of birth is in the future",
        ),
        (
            (timezone.localdate() - dt.timedelta(days=365 * 16)).isoformat(),
            "sees adults from age 18",
        ),
        ("1940-01-01", "sees adults up to age 64"),
    ],
)
def test_a_date_of_birth_outside_the_practice_is_refused_kindly_and_nothing_is_lost(
    client, born, message
):
    p = practice_with_policy()
    session = begin(client, p)
    answer(client, p, "name", FITTING_ANSWERS[0][1])
    response = answer(client, p, "birth", {"date_of_birth": born})
    assert response.status_code == 400
    assert message in response.content.decode()
    session.refresh_from_db()
    assert list(session.answers) == ["name"]


def test_visits_outside_massachusetts_are_explained_with_other_practices_that_fit(client):
    p = practice_with_policy()
    ri = OrganisationFactory(name="Narragansett Psychiatry")
    PracticePolicy.objects.create(organisation=ri, visit_states=["RI"], payers=["commercial"])
    begin(client, p)
    for step, data in FITTING_ANSWERS[:3]:
        answer(client, p, step, data)
    response = answer(client, p, "location", {"state_of_residence": "RI", "visit_state": "RI"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "can only see you while you are in Massachusetts" in body
    assert "Narragansett Psychiatry" in body


def test_masshealth_gets_a_kind_explanation_and_the_private_pay_option(client):
    p = practice_with_policy()
    begin(client, p)
    for step, data in FITTING_ANSWERS[:4]:
        answer(client, p, step, data)
    response = answer(client, p, "coverage", {"payer": "medicaid", "plan_type": "none"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "does not take MassHealth (Medicaid)" in body
    assert "You can still be seen as private pay" in body


def test_medicare_at_a_practice_that_has_not_opted_out_is_told_the_practice_cannot_see_them(
    client,
):
    # Given a practice that takes private pay but has not opted out of Medicare
    p = practice_with_policy()
    begin(client, p)
    for step, data in FITTING_ANSWERS[:4]:
        answer(client, p, step, data)

    # When someone says Medicare pays for their visits
    response = answer(client, p, "coverage", {"payer": "medicare", "plan_type": "none"})

    # Then they are told plainly that the practice cannot see them, even as private pay,
    # and where to go next; nothing is saved
    body = response.content.decode()
    assert response.status_code == 400
    assert (
        f"{p.org.name} does not accept Medicare and has not opted out of it, so it cannot see "
        "you while you have Medicare, not even as private pay"
    ) in body
    assert "medicare.gov/care-compare" in body
    assert "You can still be seen as private pay" not in body
    assert "Private pay is possible" not in body
    assert f'href="{reverse("intake:practice", args=[p.org.public_id])}#contact"' in body
    assert "coverage" not in IntakeSession.objects.get().answers


def test_medicare_at_an_opted_out_practice_is_offered_a_private_contract(client):
    # Given a practice whose prescribers opted out of Medicare
    p = practice_with_policy(medicare_opted_out=True)
    begin(client, p)
    for step, data in FITTING_ANSWERS[:4]:
        answer(client, p, step, data)

    # When someone says Medicare pays for their visits
    response = answer(client, p, "coverage", {"payer": "medicare", "plan_type": "none"})

    # Then they learn they can be seen only under a private contract, and what that means
    body = response.content.decode()
    assert response.status_code == 400
    assert (
        f"{p.org.name} has opted out of Medicare, so it can see you only under a private "
        "contract, signed before your first visit: you pay the full fee, and neither Medicare "
        "nor a Medigap plan pays anything for these visits."
    ) in body
    assert "choose “Private pay (self-pay)”" in body


def test_any_answer_can_be_edited_and_the_thread_continues_where_it_was(client):
    p = practice_with_policy()
    session = begin(client, p)
    for step, data in FITTING_ANSWERS[:3]:
        answer(client, p, step, data)
    page = client.get(thread_url(p) + "?edit=name").content.decode()
    assert 'value="Rowan"' in page
    answer(client, p, "name", {"first_name": "Rowan", "last_name": "Ashby"})
    session.refresh_from_db()
    assert session.answers["name"]["last_name"] == "Ashby"
    assert "Where do you live" in client.get(thread_url(p)).content.decode()


def test_a_visitor_who_leaves_resumes_from_the_same_browser_session(client):
    p = practice_with_policy()
    begin(client, p)
    answer(client, p, "name", FITTING_ANSWERS[0][1])
    page = client.get(reverse("intake:start", args=[p.org.public_id])).content.decode()
    assert "Continue where you left off" in page
    client.post(reverse("intake:start", args=[p.org.public_id]))
    assert IntakeSession.objects.count() == 1
    assert "What is your date of birth?" in client.get(thread_url(p)).content.decode()


def test_a_stranger_without_the_browser_session_sees_nothing(client):
    p = practice_with_policy()
    begin(client, p)
    answer(client, p, "name", FITTING_ANSWERS[0][1])
    client.cookies.clear()
    response = client.get(thread_url(p))
    assert response.status_code == 302
    assert "Rowan" not in response.content.decode()


def test_phq9_thoughts_of_self_harm_show_crisis_resources_at_once(client):
    p = practice_with_policy()
    begin(client, p)
    for step, data in FITTING_ANSWERS[:6]:
        answer(client, p, step, data)
    answer(client, p, "phq9", {f"item{i}": "0" for i in range(1, 9)} | {"item9": "1"})
    page = client.get(thread_url(p)).content.decode()
    assert "help is available now" in page
    assert 'href="tel:988"' in page


def test_the_last_step_emails_a_link_and_the_portal_account_opens_from_it(
    client, django_capture_on_commit_callbacks
):
    from tandem.intake.tests.test_bot_verification import PASSWORD, link_in

    p = practice_with_policy()
    session = begin(client, p)
    for step, data in FITTING_ANSWERS:
        answer(client, p, step, data)
    with django_capture_on_commit_callbacks(execute=True):
        response = answer(client, p, "account", {})
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:verify", args=[p.org.public_id])
    assert not EmailAddress.objects.filter(email="rowan.whitcombe@example.test").exists()
    assert [m.to for m in mail.outbox] == [["rowan.whitcombe@example.test"]]

    client.post(link_in(mail.outbox[0]), PASSWORD)
    address = EmailAddress.objects.get(email="rowan.whitcombe@example.test")
    assert address.verified
    created = Client.objects.get(user=address.user)
    assert (created.first_name, created.date_of_birth) == ("Rowan", dt.date(1990, 5, 17))
    session.refresh_from_db()
    assert (session.user, session.client) == (address.user, created)

    # Once signed in, the finished intake leads straight to slot choice.
    client.force_login(address.user)
    response = client.get(thread_url(p))
    assert response["Location"] == reverse("scheduling:book", args=[p.org.public_id])


def test_an_invitation_from_an_accepted_referral_prefills_the_bot(client):
    world = ReferralWorld()
    PracticePolicy.objects.filter(organisation=world.psychiatry).update(visit_states=["MA"])
    referral = world.sent()
    referral.status = ReferralStatus.ACCEPTED
    referral.save()
    invitation = actions.create_invitation(actor=world.coordinator, referral=referral)
    url = reverse("intake:invitation", args=[invitation.token])

    assert client.get(reverse("intake:invitation", args=["not-the-token"])).status_code == 404
    page = client.get(url).content.decode()
    assert world.client.first_name not in page  # the landing page tells nothing about them
    client.post(url)
    session = IntakeSession.objects.get()
    assert session.answers["name"]["first_name"] == world.client.first_name
    assert "birth" not in session.answers
    assert (
        "What is your date of birth?"
        in client.get(reverse("intake:thread", args=[world.psychiatry.public_id])).content.decode()
    )


def test_only_the_practices_coordinator_invites_and_only_after_acceptance():
    world = ReferralWorld()
    referral = world.sent()
    with pytest.raises(ValueError, match="Accept the referral"):
        actions.create_invitation(actor=world.coordinator, referral=referral)
    with pytest.raises(Forbidden):
        actions.create_invitation(actor=make_staff(Role.COORDINATOR), referral=referral)


def test_finishing_the_intake_scores_phq9_and_gad7_once_as_the_clients_responses(
    client, django_capture_on_commit_callbacks
):
    from tandem.intake.tests.test_bot_verification import link_in
    from tandem.measures.models import QuestionnaireResponse

    p = practice_with_policy()
    session = begin(client, p)
    for step, data in FITTING_ANSWERS:
        answer(client, p, step, data)
    password = {
        "password1": "harbour lantern quietly 73",
        "password2": "harbour lantern quietly 73",
    }
    with django_capture_on_commit_callbacks(execute=True):
        answer(client, p, "account", {})
    client.post(link_in(mail.outbox[0]), password)
    session.refresh_from_db()
    given = {code: session.answers[code] for code in ("phq9", "gad7")}

    actions.finish_for_user(session=session, user=session.user)  # a second finish stores nothing

    stored = {r.instrument: r for r in QuestionnaireResponse.objects.filter(client=session.client)}
    assert sorted(stored) == ["gad-7", "phq-9"]
    assert all(r.source == "intake" and r.organisation == p.org for r in stored.values())
    assert stored["phq-9"].total == sum(int(v) for v in given["phq9"].values())
    assert stored["gad-7"].total == sum(int(v) for v in given["gad7"].values())


def test_a_step_the_bot_does_not_ask_is_refused_without_finishing_the_intake(client):
    # Given a signed-in person half-way through the bot (no client record yet)
    p = practice_with_policy()
    client.force_login(UserFactory())
    session = begin(client, p)
    answer(client, p, "name", FITTING_ANSWERS[0][1])
    clients_before = Client.objects.count()

    # When a tampered form names a step the bot does not ask (or one it asks only before
    # signing in), and a link asks to edit such a step
    bogus = answer(client, p, "not-a-step", {"first_name": "Mallory"})
    account = answer(client, p, "account", {"password1": "x"})
    edit = client.get(thread_url(p) + "?edit=not-a-step")

    # Then each answer is a 400 naming the step and asking the real next question; the link
    # shows the next question; nothing is saved and the intake is not finished
    for response in (bogus, account):
        assert response.status_code == 400
        page = response.content.decode()
        assert UNKNOWN_STEP_MESSAGE in page
        assert "What is your date of birth?" in page
    assert edit.status_code == 200
    assert "What is your date of birth?" in edit.content.decode()
    session.refresh_from_db()
    assert session.answers == {"name": {"first_name": "Rowan", "last_name": "Whitcombe"}}
    assert session.finished_at is None
    assert Client.objects.count() == clients_before


def _invited_session(world, dob):
    from tandem.intake.models import Invitation

    referral = world.sent()
    referral.status = ReferralStatus.ACCEPTED
    referral.save()
    invitation = actions.create_invitation(actor=world.coordinator, referral=referral)
    return IntakeSession.objects.create(
        organisation=world.psychiatry,
        invitation=Invitation.objects.get(pk=invitation.pk),
        answers={
            "name": {"first_name": "Zq", "last_name": "Forwarded"},
            "birth": {"date_of_birth": dob},
            "contact": {"email": "someone.else@example.test", "phone": ""},
            "location": {"state_of_residence": "MA", "visit_state": "MA"},
        },
    )


def test_an_invitation_links_the_referred_record_only_to_the_referred_person():
    from tandem.audit.models import AuditAction, AuditEvent
    from tandem.core.tests.factories import UserFactory

    world = ReferralWorld()
    world.client.user = None  # the referred client has no portal account yet
    world.client.save(update_fields=["user"])
    dob = world.client.date_of_birth.isoformat()

    # A forwarded link finished by someone else: a record of their own, nothing attached.
    stranger = UserFactory(email="someone.else@example.test")
    session = _invited_session(world, dob)
    actions.finish_for_user(session=session, user=stranger)
    world.client.refresh_from_db()
    assert world.client.user_id is None
    assert session.client != world.client

    # The referred client (same email and date of birth): the referral's record becomes theirs.
    referred = UserFactory(email=world.client.email)
    session = _invited_session(world, dob)
    actions.finish_for_user(session=session, user=referred)
    world.client.refresh_from_db()
    assert world.client.user == referred
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE, client_id=str(world.client.public_id), actor_id=referred.pk
    ).exists()


def test_a_refused_answer_through_htmx_is_a_400_that_the_page_swaps_in(client):
    # Given the bot on a page whose htmx is told to swap 400 answers (they carry the errors)
    p = practice_with_policy()
    page = client.get(reverse("intake:start", args=[p.org.public_id]), follow=True)
    assert '{"code": "(400|409|422)", "swap": true, "error": false}' in page.content.decode()
    begin(client, p)
    answer(client, p, "name", FITTING_ANSWERS[0][1])

    # When a date of birth in the future is sent the way the page sends it
    response = client.post(
        reverse("intake:thread", args=[p.org.public_id]),
        {"step": "birth", "date_of_birth": "2099-01-01"},
        headers={"HX-Request": "true"},
    )

    # Then the answer is an honest 400 with the refused question and its reason, not a page
    assert response.status_code == 400
    body = response.content.decode()
    assert "The date of birth is in the future" in body
    assert "<html" not in body
