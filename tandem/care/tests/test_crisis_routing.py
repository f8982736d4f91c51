"""Who a safety alert reaches, in what order, what each recipient can open, who may resolve it."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.care.crisis import actions as crisis_actions
from tandem.care.models import AlertStatus, OnCallShift, SafetyAlert
from tandem.care.tests.factories import CareWorld
from tandem.care.tests.helpers import http, text
from tandem.clients.models import CareTeamMember
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, UserFactory, make_staff
from tandem.notifications.models import Notification, NotificationKind
from tandem.tests.support.clock import world_built_on
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")
#: A Wednesday in business hours (a 15-minute window).
WEDNESDAY_11AM = dt.datetime(2027, 3, 10, 11, 0, tzinfo=BOSTON)
_built = world_built_on(dt.datetime(2027, 2, 22, 9, 0, tzinfo=BOSTON))

SUMMARY = "PHQ-9 item 9 answered 2 (more than half the days)."


def told(user) -> list[str]:
    """Return the kinds of safety notification ``user`` received, oldest first."""
    return list(
        Notification.objects.filter(
            recipient=user,
            kind__in=(NotificationKind.SAFETY_ALERT, NotificationKind.SAFETY_ESCALATION),
        )
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def shift(world, user, start, end, order):
    OnCallShift.objects.create(
        organisation=world.psychiatry, user=user, starts_at=start, ends_at=end, order=order
    )


def run_at(moment, capture):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        run_worker()


def bot_client():
    """Return a client who came in through the appointment bot: a portal account, no care team."""
    return ClientFactory(user=UserFactory())


def raise_from_questionnaire(world, client, capture):
    with time_machine.travel(WEDNESDAY_11AM, tick=False), capture(execute=True):
        return crisis_actions.raise_safety_alert(
            None, client, "urgent", SUMMARY, source="questionnaire", organisation=world.psychiatry
        )


def every_link_opens(alert):
    """Return {recipient: status of their notification's link} for every safety notification."""
    sent = Notification.objects.filter(
        kind__in=(NotificationKind.SAFETY_ALERT, NotificationKind.SAFETY_ESCALATION)
    ).select_related("recipient")
    assert sent, "nobody was told"
    return {n.recipient: http(n.recipient).get(n.link).status_code for n in sent}


def test_an_alert_for_a_client_with_no_care_team_pages_the_reached_practices_on_call_at_once(
    django_capture_on_commit_callbacks,
):
    # Given a client who came in through the appointment bot of the psychiatric practice,
    # with no care team yet, and the practice's on-call prescriber (no rota: the membership flag)
    world = CareWorld()
    client = bot_client()
    assert not CareTeamMember.objects.filter(client=client).exists()

    # When their intake PHQ-9 item 9 raises an alert
    alert = raise_from_questionnaire(world, client, django_capture_on_commit_callbacks)

    # Then the practice the client reached is paged and its on-call prescriber is told at once
    assert alert.paged_organisation == world.psychiatry
    assert told(world.prescriber) == [NotificationKind.SAFETY_ALERT]
    assert told(world.admin) == []
    # and the link opens the alert with what happened, so they can act
    page = http(world.prescriber).get(reverse("care:alert", kwargs={"alert_id": alert.public_id}))
    assert page.status_code == 200
    assert SUMMARY in text(page)
    assert "Record outcome" in text(page)

    # When nobody acknowledges within the 15 minutes, the admin is told too
    run_at(WEDNESDAY_11AM + dt.timedelta(minutes=16), django_capture_on_commit_callbacks)
    assert told(world.admin) == [NotificationKind.SAFETY_ESCALATION]
    # and every recipient's link opens the alert
    assert every_link_opens(alert) == {world.prescriber: 200, world.admin: 200}


def test_escalation_walks_the_rota_in_order_without_skipping_anyone(
    django_capture_on_commit_callbacks,
):
    # Given a rota of three for the reached practice, in order first, second, third
    world = CareWorld()
    first, second, third = (make_staff(Role.PRESCRIBER, world.psychiatry) for _ in range(3))
    day = (WEDNESDAY_11AM - dt.timedelta(hours=1), WEDNESDAY_11AM + dt.timedelta(days=1))
    for order, person in enumerate((first, second, third), start=1):
        shift(world, person, *day, order)
    client = bot_client()

    # When an alert comes in for a client with no care team
    alert = raise_from_questionnaire(world, client, django_capture_on_commit_callbacks)
    # Then the first on the rota is told, and only them
    assert [told(p) for p in (first, second, third, world.admin)] == [["safety_alert"], [], [], []]

    # When each window closes unacknowledged, the next on the rota is told, with the admin
    run_at(WEDNESDAY_11AM + dt.timedelta(minutes=16), django_capture_on_commit_callbacks)
    assert [len(told(p)) for p in (first, second, third, world.admin)] == [1, 1, 0, 1]
    run_at(WEDNESDAY_11AM + dt.timedelta(minutes=32), django_capture_on_commit_callbacks)
    assert [len(told(p)) for p in (first, second, third, world.admin)] == [1, 1, 1, 2]
    assert told(second) == told(third) == ["safety_escalation"]
    alert.refresh_from_db()
    assert alert.escalation_level == 2
    # and each of them opens the alert from their link
    assert every_link_opens(alert) == {first: 200, second: 200, third: 200, world.admin: 200}


def test_when_the_rota_changes_hands_escalation_tells_the_next_person_not_yet_told(
    django_capture_on_commit_callbacks,
):
    # Given the early shift (one person) ends ten minutes after the alert, and the late
    # shift has two people in order
    world = CareWorld()
    early, late_first, late_second = (
        make_staff(Role.PRESCRIBER, world.psychiatry) for _ in range(3)
    )
    change = WEDNESDAY_11AM + dt.timedelta(minutes=10)
    shift(world, early, WEDNESDAY_11AM - dt.timedelta(hours=2), change, 1)
    shift(world, late_first, change, change + dt.timedelta(hours=8), 1)
    shift(world, late_second, change, change + dt.timedelta(hours=8), 2)

    # When the therapist raises an alert and nobody acknowledges it
    with (
        time_machine.travel(WEDNESDAY_11AM, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        crisis_actions.raise_safety_alert(world.therapist, world.client, "urgent", "Has a plan.")
    run_at(WEDNESDAY_11AM + dt.timedelta(minutes=16), django_capture_on_commit_callbacks)

    # Then the first of the late shift is told, not skipped for the second
    assert told(early) == ["safety_alert"]
    assert told(late_first) == ["safety_escalation"]
    assert told(late_second) == []


def test_a_clinician_alert_with_no_psychiatric_practice_on_the_team_still_reaches_someone_who_opens_it(
    django_capture_on_commit_callbacks,
):
    # Given a client whose only clinician is the therapist (no psychiatric practice yet)
    world = CareWorld()
    CareTeamMember.objects.filter(client=world.client).exclude(user=world.therapist).delete()
    admin = make_staff(Role.PRACTICE_ADMIN, world.therapy)

    # When the therapist raises an alert and nobody acknowledges it
    with (
        time_machine.travel(WEDNESDAY_11AM, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        alert = crisis_actions.raise_safety_alert(
            world.therapist, world.client, "urgent", "Has a plan."
        )
    run_at(WEDNESDAY_11AM + dt.timedelta(minutes=16), django_capture_on_commit_callbacks)

    # Then, with nobody else to tell, the therapy practice's admin is told at once and again
    # when the window closes, and the link opens the alert
    assert told(admin) == ["safety_alert", "safety_escalation"]
    assert every_link_opens(alert) == {admin: 200}


# --- Who may resolve -----------------------------------------------------------------------


def post_outcome(user, alert):
    return http(user).post(
        reverse("care:alert", kwargs={"alert_id": alert.public_id}),
        {"outcome": "not_needed", "follow_up": "None needed.", "record_outcome": ""},
    )


def assert_still_open(alert):
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.follow_up) == (AlertStatus.OPEN, "", "")
    assert not alert.events.filter(kind="outcome").exists()


def test_a_prescriber_of_the_paged_practice_who_cannot_see_the_details_cannot_resolve_it():
    # Given an alert, and a prescriber of the paged practice who is neither paged nor on call
    world = CareWorld()
    alert = crisis_actions.raise_safety_alert(
        world.therapist, world.client, "urgent", "Has a plan."
    )
    colleague = make_staff(Role.PRESCRIBER, world.psychiatry)
    assert "Has a plan." not in text(
        http(colleague).get(reverse("care:alert", kwargs={"alert_id": alert.public_id}))
    )

    # When they post an outcome blind
    response = post_outcome(colleague, alert)

    # Then it is refused and the alert stays open (escalation goes on)
    assert response.status_code == 404
    assert_still_open(alert)
    with pytest.raises(Forbidden):
        crisis_actions.record_outcome(
            actor=colleague, alert=alert, outcome="not_needed", follow_up="x"
        )
    assert_still_open(alert)


def test_an_admin_of_a_paged_practice_off_the_team_cannot_resolve_it_blind():
    # Given an alert whose paged practice has since left the care team
    world = CareWorld()
    alert = crisis_actions.raise_safety_alert(
        world.therapist, world.client, "urgent", "Has a plan."
    )
    CareTeamMember.objects.filter(client=world.client, organisation=world.psychiatry).update(
        ended_on=dt.date(2027, 2, 22)
    )
    assert "Has a plan." not in text(
        http(world.admin).get(reverse("care:alert", kwargs={"alert_id": alert.public_id}))
    )

    # When the practice admin posts an outcome
    response = post_outcome(world.admin, alert)

    # Then it is refused and nothing changed
    assert response.status_code == 404
    assert_still_open(alert)


def test_an_admin_who_sees_the_details_acknowledges_but_does_not_record_a_clinical_outcome():
    world = CareWorld()
    alert = crisis_actions.raise_safety_alert(
        world.therapist, world.client, "urgent", "Has a plan."
    )
    page = text(http(world.admin).get(reverse("care:alert", kwargs={"alert_id": alert.public_id})))
    assert "Has a plan." in page
    assert "Record outcome" not in page

    assert post_outcome(world.admin, alert).status_code == 404
    assert_still_open(alert)


def test_a_clinician_who_sees_the_details_resolves_it_and_escalation_stops(
    django_capture_on_commit_callbacks,
):
    world = CareWorld()
    with (
        time_machine.travel(WEDNESDAY_11AM, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        alert = crisis_actions.raise_safety_alert(
            world.therapist, world.client, "urgent", "Has a plan."
        )
        response = post_outcome(world.prescriber, alert)
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == (AlertStatus.RESOLVED, "not_needed")
    run_at(WEDNESDAY_11AM + dt.timedelta(minutes=16), django_capture_on_commit_callbacks)
    assert told(world.admin) == []


def test_the_outcome_form_posts_one_outcome_value():
    # The submit button once carried the name "outcome" too, so browsers sent two values
    world = CareWorld()
    alert = crisis_actions.raise_safety_alert(
        world.therapist, world.client, "urgent", "Has a plan."
    )
    page = http(world.prescriber).get(reverse("care:alert", kwargs={"alert_id": alert.public_id}))
    html = page.content.decode()
    assert html.count('name="outcome"') == 1
    assert 'name="record_outcome"' in html


# --- The open-alert banner -----------------------------------------------------------------


def banner(user) -> str:
    """Return the text of the open-alert banner on the user's dashboard ('' when none)."""
    page = http(user).get(reverse("core:dashboard")).content.decode()
    start = page.find("data-open-alerts")
    if start == -1:
        return ""
    return page[start : page.find("</div>", start)]


def test_the_team_and_the_on_call_see_a_banner_linking_to_an_open_alert_until_it_is_acknowledged():
    # Given an on-call prescriber of the psychiatric practice who is not on the team
    world = CareWorld()
    on_call = make_staff(Role.PRESCRIBER, world.psychiatry)
    shift(
        world,
        on_call,
        WEDNESDAY_11AM - dt.timedelta(hours=1),
        WEDNESDAY_11AM + dt.timedelta(days=1),
        1,
    )
    outsider = make_staff(Role.PRESCRIBER)
    colleague = make_staff(Role.PRESCRIBER, world.psychiatry)

    # When the therapist raises an alert
    with time_machine.travel(WEDNESDAY_11AM, tick=True):
        alert = crisis_actions.raise_safety_alert(
            world.therapist, world.client, "urgent", "Has a plan."
        )
        link = reverse("care:alert", kwargs={"alert_id": alert.public_id})

        # Then the team's clinicians and the on-call prescriber see the banner, linking to the alert
        name = f"{world.client.first_name} {world.client.last_name}"
        for user in (world.therapist, world.prescriber, on_call):
            shown = banner(user)
            assert f'href="{link}"' in shown
            # and nothing of what happened
            assert "Has a plan." not in shown
        # the team's clinicians read whose alert it is, the on-call prescriber off the team
        # (who may open the alert but not the client's record) reads its reference instead
        for user in (world.therapist, world.prescriber):
            assert f"Safety alert for {name}" in banner(user), user
        assert alert.reference in banner(on_call)
        assert world.client.last_name not in banner(on_call)
        # on every page, not just the dashboard
        assert "data-open-alerts" in http(on_call).get(reverse("clients:list")).content.decode()
        # and nobody else does
        assert banner(outsider) == ""
        assert banner(colleague) == ""
        assert banner(world.client_user) == ""

        # When the on-call prescriber acknowledges it, the banner goes for everyone
        crisis_actions.acknowledge_alert(actor=on_call, alert=alert)
        assert [banner(u) for u in (world.therapist, world.prescriber, on_call)] == ["", "", ""]


def test_the_reached_practices_on_call_sees_the_banner_for_a_client_with_no_team(
    django_capture_on_commit_callbacks,
):
    world = CareWorld()
    alert = raise_from_questionnaire(world, bot_client(), django_capture_on_commit_callbacks)
    with time_machine.travel(WEDNESDAY_11AM + dt.timedelta(minutes=1)):
        assert alert.reference in banner(world.prescriber)


def test_the_banner_follows_the_rota_the_flagged_prescriber_stands_in_only_when_nobody_is_on_it(
    django_capture_on_commit_callbacks,
):
    # Given an alert for a client with no care team, paging the psychiatric practice, whose
    # prescriber is flagged on call, and a colleague who is not
    world = CareWorld()
    alert = raise_from_questionnaire(world, bot_client(), django_capture_on_commit_callbacks)
    colleague = make_staff(Role.PRESCRIBER, world.psychiatry)
    later = WEDNESDAY_11AM + dt.timedelta(minutes=1)
    with time_machine.travel(later):
        # With nobody on the rota, the flagged prescriber answers it, the colleague does not
        assert alert.reference in banner(world.prescriber)
        assert banner(colleague) == ""

        # Shifts that ended or have not begun change nothing
        shift(world, colleague, later - dt.timedelta(days=1), later - dt.timedelta(hours=1), 1)
        shift(world, colleague, later + dt.timedelta(hours=1), later + dt.timedelta(days=1), 1)
        assert alert.reference in banner(world.prescriber)
        assert banner(colleague) == ""

        # When the colleague is on the rota now, they answer it and the flagged one does not
        shift(world, colleague, later - dt.timedelta(hours=1), later + dt.timedelta(hours=1), 2)
        assert alert.reference in banner(colleague)
        assert banner(world.prescriber) == ""

        # A deactivated account on the rota pages nobody: the flagged prescriber stands in again
        colleague.is_active = False
        colleague.save(update_fields=["is_active"])
        assert alert.reference in banner(world.prescriber)

        # A shift in another practice does not count for this one
        OnCallShift.objects.all().delete()
        elsewhere = make_staff(Role.PRESCRIBER)
        OnCallShift.objects.create(
            organisation=elsewhere.memberships.get().organisation,
            user=elsewhere,
            starts_at=later - dt.timedelta(hours=1),
            ends_at=later + dt.timedelta(hours=1),
            order=1,
        )
        assert alert.reference in banner(world.prescriber)
        assert banner(elsewhere) == ""


def test_the_banner_costs_the_same_queries_for_one_alert_or_many():
    world = CareWorld()
    crisis_actions.raise_safety_alert(world.therapist, world.client, "urgent", "Has a plan.")
    page = http(world.prescriber)
    page.get(reverse("core:dashboard"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert page.get(reverse("core:dashboard")).status_code == 200
        return len(captured)

    one = queries()
    for _ in range(3):
        other = ClientFactory()
        from tandem.core.tests.factories import add_to_care_team

        add_to_care_team(other, world.therapist, Role.THERAPIST, primary=True)
        add_to_care_team(other, world.prescriber, Role.PRESCRIBER)
        crisis_actions.raise_safety_alert(world.therapist, other, "urgent", "Has a plan.")
    assert SafetyAlert.objects.filter(status=AlertStatus.OPEN).count() == 4
    assert queries() == one
    assert banner(world.prescriber).count("/care/alerts/") == 4


def test_the_client_reaches_their_own_safety_plan_from_the_portal():
    world = CareWorld()
    page = http(world.client_user).get(reverse("core:dashboard")).content.decode()
    link = reverse("care:safety_plan", kwargs={"client_id": world.client.public_id})
    assert f'href="{link}"' in page
    assert http(world.client_user).get(link).status_code == 200


def test_a_colleague_of_the_paged_practice_who_was_not_paged_cannot_stop_escalation_by_acknowledging(
    django_capture_on_commit_callbacks,
):
    # Given an alert, and a prescriber of the paged practice who is neither told nor on call
    world = CareWorld()
    with (
        time_machine.travel(WEDNESDAY_11AM, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        alert = crisis_actions.raise_safety_alert(
            world.therapist, world.client, "urgent", "Has a plan."
        )
    colleague = make_staff(Role.PRESCRIBER, world.psychiatry)
    path = reverse("care:alert", kwargs={"alert_id": alert.public_id})
    assert 'name="acknowledge"' not in http(colleague).get(path).content.decode()

    # When they post an acknowledgement
    response = http(colleague).post(path, {"acknowledge": ""})

    # Then it is refused, the alert stays open, and escalation still fires
    assert response.status_code == 404
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == (AlertStatus.OPEN, None)
    run_at(WEDNESDAY_11AM + dt.timedelta(minutes=16), django_capture_on_commit_callbacks)
    assert told(world.admin) == ["safety_escalation"]
    # while the admin, told by the escalation, may acknowledge
    assert http(world.admin).post(path, {"acknowledge": ""}).status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, world.admin)


def test_the_bots_intake_phq9_reaches_the_practices_on_call_prescriber(
    django_capture_on_commit_callbacks,
):
    # Given a client who signed up through the psychiatric practice's appointment bot
    from tandem.measures.actions import record_response
    from tandem.measures.models import ResponseSource

    world = CareWorld()
    client = bot_client()

    # When their intake PHQ-9 is stored with item 9 answered 2
    with django_capture_on_commit_callbacks(execute=True):
        response = record_response(
            client.user,
            client,
            "phq-9",
            [1, 1, 1, 1, 1, 1, 1, 1, 2],
            source=ResponseSource.INTAKE,
            idempotency_key="intake:test:phq-9",
            organisation=world.psychiatry,
        )

    # Then the alert exists and the practice's on-call prescriber was told and can open it
    alert = SafetyAlert.objects.get(public_id=response.safety_alert_id)
    assert told(world.prescriber) == ["safety_alert"]
    assert every_link_opens(alert) == {world.prescriber: 200}


def test_with_nobody_on_call_every_prescriber_of_the_reached_practice_is_told_at_once(
    django_capture_on_commit_callbacks,
):
    # Given a psychiatric practice whose prescribers are none of them marked on call and
    # that has no rota, and a client who reached it through the appointment bot
    world = CareWorld()
    second = make_staff(Role.PRESCRIBER, world.psychiatry)
    world.psychiatry.memberships.filter(role=Role.PRESCRIBER).update(is_on_call=False)
    client = bot_client()

    # When their intake PHQ-9 item 9 raises an alert
    alert = raise_from_questionnaire(world, client, django_capture_on_commit_callbacks)

    # Then every prescriber of the practice is told at once (a clinician who can act),
    # not only the admin a window later, and each of them can open it and record the outcome
    assert told(world.prescriber) == [NotificationKind.SAFETY_ALERT]
    assert told(second) == [NotificationKind.SAFETY_ALERT]
    assert every_link_opens(alert) == {world.prescriber: 200, second: 200}
    page = http(second).get(reverse("care:alert", kwargs={"alert_id": alert.public_id}))
    assert SUMMARY in text(page)
    assert "Record outcome" in text(page)


def test_an_emergency_alert_is_answered_within_five_minutes_even_after_hours(
    django_capture_on_commit_callbacks,
):
    # Given a practice that allows 60 minutes to acknowledge an alert after hours, and a
    # client with no care team yet whose C-SSRS screen was high risk (the emergency path)
    world = CareWorld()
    client = bot_client()
    sunday_night = dt.datetime(2027, 3, 7, 22, 0, tzinfo=BOSTON)

    # When the emergency alert is raised on a Sunday night
    with (
        time_machine.travel(sunday_night, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        alert = crisis_actions.raise_safety_alert(
            None,
            client,
            "emergency",
            SUMMARY,
            source="questionnaire",
            organisation=world.psychiatry,
        )

    # Then the on-call prescriber is told at once and has five minutes, not sixty
    assert told(world.prescriber) == [NotificationKind.SAFETY_ALERT]
    assert alert.ack_due_at == sunday_night + dt.timedelta(minutes=5)
    # and when nobody acknowledges, the admin is told six minutes in
    run_at(sunday_night + dt.timedelta(minutes=6), django_capture_on_commit_callbacks)
    assert told(world.admin) == [NotificationKind.SAFETY_ESCALATION]


def test_an_urgent_alert_keeps_the_practices_own_window(django_capture_on_commit_callbacks):
    # Given the same practice and an urgent (not emergency) alert on a Sunday night
    world = CareWorld()
    client = bot_client()
    sunday_night = dt.datetime(2027, 3, 7, 22, 0, tzinfo=BOSTON)
    with (
        time_machine.travel(sunday_night, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        alert = crisis_actions.raise_safety_alert(
            None, client, "urgent", SUMMARY, source="questionnaire", organisation=world.psychiatry
        )

    # Then the practice's after-hours window applies, and nobody else is told six minutes in
    assert alert.ack_due_at == sunday_night + dt.timedelta(minutes=60)
    run_at(sunday_night + dt.timedelta(minutes=6), django_capture_on_commit_callbacks)
    assert told(world.admin) == []
