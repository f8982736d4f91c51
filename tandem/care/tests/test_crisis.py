"""Crisis coordination: alerts reach the team and on-call, escalate when unacknowledged, the rota, the plan."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care import selectors
from tandem.care.crisis import actions as crisis_actions
from tandem.care.crisis import selectors as crisis_selectors
from tandem.care.models import AlertStatus, CareSettings, OnCallShift, SafetyAlert
from tandem.care.sharing import StaleError
from tandem.care.tests.factories import CareWorld
from tandem.care.tests.helpers import http, text
from tandem.clients.models import CareTeamMember
from tandem.consent.categories import Category
from tandem.consent.models import Disclosure
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.notifications.models import Notification, NotificationKind
from tandem.tests.support.clock import world_built_on
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")
#: A Wednesday in business hours, and the same Wednesday evening.
WEDNESDAY_11AM = dt.datetime(2027, 3, 10, 11, 0, tzinfo=BOSTON)
_built = world_built_on(
    dt.datetime(2027, 2, 22, 9, 0, tzinfo=BOSTON)
)  # before the fixed days of March 2027


WEDNESDAY_9PM = dt.datetime(2027, 3, 10, 21, 0, tzinfo=BOSTON)


def told(kind, user) -> int:
    return Notification.objects.filter(kind=kind, recipient=user).count()


def rota(world, start, people):
    for order, user in enumerate(people, start=1):
        OnCallShift.objects.create(
            organisation=world.psychiatry,
            user=user,
            starts_at=start - dt.timedelta(hours=1),
            ends_at=start + dt.timedelta(days=2),
            order=order,
        )


def run_at(moment, capture):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        run_worker()


def test_an_unacknowledged_alert_escalates_after_15_minutes_in_business_hours_and_a_late_ack_stops_it(
    django_capture_on_commit_callbacks,
):
    world = CareWorld()
    backup = make_staff(Role.PRESCRIBER, world.psychiatry)
    third = make_staff(Role.PRESCRIBER, world.psychiatry)
    on_call = make_staff(Role.PRESCRIBER, world.psychiatry)
    rota(world, WEDNESDAY_11AM, [on_call, backup, third])

    # Given the therapist raises an alert on a Wednesday morning
    with (
        time_machine.travel(WEDNESDAY_11AM, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        alert = crisis_actions.raise_safety_alert(
            world.therapist,
            world.client,
            "urgent",
            "Said she has a plan.",
            "Called her; safe now.",
        )
    # Then the prescriber on the team and the first person on call are told, with 15 minutes to answer
    assert alert.ack_due_at == WEDNESDAY_11AM + dt.timedelta(minutes=15)
    assert told(NotificationKind.SAFETY_ALERT, world.prescriber) == 1
    assert told(NotificationKind.SAFETY_ALERT, on_call) == 1
    assert told(NotificationKind.SAFETY_ALERT, backup) == 0

    # When 14 minutes pass, nothing escalates
    run_at(WEDNESDAY_11AM + dt.timedelta(minutes=14), django_capture_on_commit_callbacks)
    assert SafetyAlert.objects.get(pk=alert.pk).escalation_level == 0

    # When the window closes with nobody acknowledging, the next on call and the admin are told
    run_at(WEDNESDAY_11AM + dt.timedelta(minutes=16), django_capture_on_commit_callbacks)
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert told(NotificationKind.SAFETY_ESCALATION, backup) == 1
    assert told(NotificationKind.SAFETY_ESCALATION, world.admin) == 1
    assert told(NotificationKind.SAFETY_ESCALATION, third) == 0

    # When the backup acknowledges after the escalation
    with time_machine.travel(WEDNESDAY_11AM + dt.timedelta(minutes=20), tick=False):
        crisis_actions.acknowledge_alert(actor=backup, alert=alert)
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, backup)
    ack = alert.events.get(kind="acknowledged")
    assert ack.detail == {"late": True, "after_escalation": 1}

    # Then the next escalation, due at 31 minutes, does nothing
    run_at(WEDNESDAY_11AM + dt.timedelta(minutes=45), django_capture_on_commit_callbacks)
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert told(NotificationKind.SAFETY_ESCALATION, third) == 0
    assert list(alert.events.values_list("kind", flat=True)) == [
        "raised",
        "notified",
        "escalated",
        "acknowledged",
    ]


def test_after_hours_the_window_is_60_minutes(django_capture_on_commit_callbacks):
    # An urgent alert: an emergency one never waits more than five minutes.
    world = CareWorld()
    with (
        time_machine.travel(WEDNESDAY_9PM, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        alert = crisis_actions.raise_safety_alert(
            world.therapist, world.client, "urgent", "Overdose risk."
        )
    assert alert.ack_due_at == WEDNESDAY_9PM + dt.timedelta(minutes=60)

    run_at(WEDNESDAY_9PM + dt.timedelta(minutes=59), django_capture_on_commit_callbacks)
    assert told(NotificationKind.SAFETY_ESCALATION, world.admin) == 0
    run_at(WEDNESDAY_9PM + dt.timedelta(minutes=61), django_capture_on_commit_callbacks)
    assert told(NotificationKind.SAFETY_ESCALATION, world.admin) == 1


def test_the_practice_sets_its_own_windows(django_capture_on_commit_callbacks):
    world = CareWorld()
    CareSettings.objects.create(organisation=world.psychiatry, ack_minutes_business=5)
    with time_machine.travel(WEDNESDAY_11AM, tick=False):
        alert = crisis_actions.raise_safety_alert(
            world.therapist, world.client, "urgent", "Plan disclosed."
        )
    assert alert.ack_due_at == WEDNESDAY_11AM + dt.timedelta(minutes=5)


def test_the_alert_always_reaches_the_team_but_its_details_follow_consent():
    # Given no release covers safety information
    world = CareWorld(release=False)
    alert = crisis_actions.raise_safety_alert(
        world.therapist, world.client, "urgent", "Said she has a plan."
    )

    # Then the prescriber is told and sees the alert exists, but not what happened
    assert told(NotificationKind.SAFETY_ALERT, world.prescriber) == 1
    [item] = selectors.timeline(world.prescriber, world.client, ["safety"])
    assert (
        item.title
        == "Safety alert — Urgent: needs a response within the hour — waiting for acknowledgement"
    )
    assert not item.shown
    assert not Disclosure.objects.filter(object_id=str(alert.public_id)).exists()
    page = text(
        http(world.prescriber).get(reverse("care:alert", kwargs={"alert_id": alert.public_id}))
    )
    assert "Said she has a plan." not in page
    assert "Acknowledge" in page


def test_a_practice_that_shares_crisis_details_records_them_under_the_serious_threat_basis():
    world = CareWorld(release=False)
    CareSettings.objects.create(
        organisation=world.therapy, share_safety_details_without_release=True
    )

    alert = crisis_actions.raise_safety_alert(
        world.therapist, world.client, "emergency", "Has the means at home."
    )

    disclosure = Disclosure.objects.get(object_id=str(alert.public_id))
    assert (disclosure.category, disclosure.basis, disclosure.recipient_user) == (
        Category.SAFETY,
        crisis_selectors.SERIOUS_THREAT_BASIS,
        world.prescriber,
    )
    [item] = selectors.timeline(world.prescriber, world.client, ["safety"])
    assert item.shown
    assert ("What happened", "Has the means at home.") in item.lines


def test_a_questionnaire_raises_an_alert_without_a_clinician(django_capture_on_commit_callbacks):
    world = CareWorld()
    with django_capture_on_commit_callbacks(execute=True):
        alert = crisis_actions.raise_safety_alert(
            None, world.client, "urgent", "PHQ-9 item 9 answered 2.", source="questionnaire"
        )
    run_worker()

    assert (alert.source, alert.organisation, alert.raised_by) == (
        "questionnaire",
        world.psychiatry,
        None,
    )
    assert told(NotificationKind.SAFETY_ALERT, world.therapist) == 1
    assert told(NotificationKind.SAFETY_ALERT, world.prescriber) == 1
    for email in mail.outbox:
        assert "PHQ" not in email.body
        assert world.client.first_name not in email.body


def test_outcome_is_recorded_and_bad_input_named():
    world = CareWorld()
    alert = crisis_actions.raise_safety_alert(
        world.therapist, world.client, "urgent", "Plan disclosed."
    )
    with pytest.raises(ValidationError) as bad:
        crisis_actions.record_outcome(actor=world.prescriber, alert=alert, outcome="", follow_up="")
    assert set(bad.value.message_dict) == {"outcome", "follow_up"}

    done = crisis_actions.record_outcome(
        actor=world.prescriber, alert=alert, outcome="not_needed", follow_up="Visit in 48 hours."
    )
    assert (done.status, done.outcome) == (AlertStatus.RESOLVED, "not_needed")
    with pytest.raises(Forbidden):
        crisis_actions.raise_safety_alert(world.coordinator, world.client, "urgent", "x")


def test_a_gap_in_the_rota_warns_the_admin_once_in_advance(django_capture_on_commit_callbacks):
    world = CareWorld()
    with time_machine.travel(WEDNESDAY_11AM, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            crisis_actions.add_shift(
                actor=world.admin,
                organisation=world.psychiatry,
                user=world.prescriber,
                starts_at=WEDNESDAY_11AM - dt.timedelta(hours=1),
                ends_at=WEDNESDAY_11AM + dt.timedelta(days=3),
            )
            crisis_actions.add_shift(
                actor=world.admin,
                organisation=world.psychiatry,
                user=world.prescriber,
                starts_at=WEDNESDAY_11AM + dt.timedelta(days=4),
                ends_at=WEDNESDAY_11AM + dt.timedelta(days=10),
            )
        gaps = crisis_selectors.rota_gaps(
            world.psychiatry, WEDNESDAY_11AM, WEDNESDAY_11AM + dt.timedelta(days=7)
        )
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
            run_worker()
    assert gaps == [(WEDNESDAY_11AM + dt.timedelta(days=3), WEDNESDAY_11AM + dt.timedelta(days=4))]
    assert told(NotificationKind.ON_CALL_GAP, world.admin) == 1
    assert told(NotificationKind.ON_CALL_GAP, world.prescriber) == 0
    # The daily re-check is queued once, and finds the same gap without telling again
    run_at(WEDNESDAY_11AM + dt.timedelta(days=1, minutes=1), django_capture_on_commit_callbacks)
    assert told(NotificationKind.ON_CALL_GAP, world.admin) == 1
    page = text(
        http(world.admin).get(reverse("care:rota", kwargs={"org_id": world.psychiatry.public_id}))
    )
    assert "Nobody is on call in these stretches of the coming week" in page

    with pytest.raises(Forbidden):
        crisis_actions.add_shift(
            actor=world.prescriber,
            organisation=world.psychiatry,
            user=world.prescriber,
            starts_at=WEDNESDAY_11AM,
            ends_at=WEDNESDAY_11AM + dt.timedelta(hours=1),
        )


PLAN = {"warning_signs": "Not sleeping, withdrawing.", "professionals": "988; 911; Dr. on call."}


def test_two_clinicians_editing_the_safety_plan_at_once_nothing_is_silently_overwritten():
    world = CareWorld()
    first = crisis_actions.save_safety_plan(
        actor=world.therapist, client=world.client, sections=PLAN, base_version=0
    )
    # Both open version 1; the prescriber saves first
    crisis_actions.save_safety_plan(
        actor=world.prescriber,
        client=world.client,
        sections=PLAN | {"reasons": "Her daughter."},
        base_version=first.version,
    )
    # The therapist's save from version 1 is refused with the reason
    with pytest.raises(
        StaleError, match="saved version 2 of the safety plan while you were editing version 1"
    ):
        crisis_actions.save_safety_plan(
            actor=world.therapist,
            client=world.client,
            sections=PLAN | {"coping": "Walks."},
            base_version=first.version,
        )
    view = crisis_selectors.safety_plan(world.client_user, world.client)
    assert [p.version for p in view.versions] == [2, 1]
    assert dict((k, t) for k, _, t in view.sections)["reasons"] == "Her daughter."


def test_the_safety_plan_page_shows_the_conflict_and_keeps_the_text(settings):
    world = CareWorld()
    crisis_actions.save_safety_plan(
        actor=world.therapist, client=world.client, sections=PLAN, base_version=0
    )
    crisis_actions.save_safety_plan(
        actor=world.prescriber, client=world.client, sections=PLAN, base_version=1
    )
    path = reverse("care:safety_plan", kwargs={"client_id": world.client.public_id})

    response = http(world.therapist).post(
        path, {"base_version": 1, "warning_signs": "My unsaved words."}
    )

    assert response.status_code == 200
    assert "saved version 2 of the safety plan while you were editing version 1" in text(response)
    assert "My unsaved words." in response.content.decode()
    # The client reads their own plan, with crisis lines
    client_page = text(http(world.client_user).get(path))
    assert "Not sleeping, withdrawing." in client_page
    assert "988" in client_page


def alert_page(user, alert):
    return http(user).get(reverse("care:alert", kwargs={"alert_id": alert.public_id}))


def reads_of(alert, user):
    return list(
        AuditEvent.objects.filter(
            action=AuditAction.VIEW, object_id=str(alert.public_id), actor_id=user.pk
        ).values_list("detail", flat=True)
    )


def test_the_paged_on_call_prescriber_of_the_practice_on_the_team_reads_the_details():
    # Given a release covering safety information and an on-call prescriber of the
    # client's psychiatric practice who is not on the care team
    world = CareWorld()
    on_call = make_staff(Role.PRESCRIBER, world.psychiatry)
    rota(world, WEDNESDAY_11AM, [on_call])

    # When the therapist raises an alert and the rota pages the on-call prescriber
    with time_machine.travel(WEDNESDAY_11AM, tick=False):
        alert = crisis_actions.raise_safety_alert(
            world.therapist, world.client, "urgent", "Said she has a plan.", "Called her."
        )
    assert told(NotificationKind.SAFETY_ALERT, on_call) == 1

    # Then they read what happened and the steps taken
    page = text(alert_page(on_call, alert))
    assert "Said she has a plan." in page
    assert "Called her." in page
    assert "You were paged through the practice's on-call rota." not in page
    # as a read inside their practice: the only disclosure is the one to the team's prescriber
    assert list(
        Disclosure.objects.filter(object_id=str(alert.public_id)).values_list(
            "recipient_user", flat=True
        )
    ) == [world.prescriber.pk]
    # and the read is audited, marked as from outside the team with the details shown
    assert reads_of(alert, on_call) == [{"outside_team": True, "details": True}]

    # When they acknowledge it, they keep the details while they handle it
    crisis_actions.acknowledge_alert(actor=on_call, alert=alert)
    assert "Said she has a plan." in text(alert_page(on_call, alert))
    # and the practice admin (reached by escalations) reads them too
    assert "Said she has a plan." in text(alert_page(world.admin, alert))
    # but a prescriber of the practice who is neither paged nor on call sees only that it exists
    colleague = make_staff(Role.PRESCRIBER, world.psychiatry)
    page = text(alert_page(colleague, alert))
    assert "Said she has a plan." not in page
    assert "You were paged through the practice's on-call rota." in page
    assert reads_of(alert, colleague) == [{"outside_team": True, "details": False}]

    # When the outcome is recorded, the on-call prescriber's part is over
    crisis_actions.record_outcome(
        actor=world.prescriber, alert=alert, outcome="not_needed", follow_up="Seen tomorrow."
    )
    assert "Said she has a plan." not in text(alert_page(on_call, alert))
    # and someone from another practice cannot even open it
    outsider = make_staff(Role.PRESCRIBER)
    assert alert_page(outsider, alert).status_code == 404


def test_within_the_prescribers_practice_the_on_call_reads_the_details_without_any_release():
    # Given no release at all, and the care-team prescriber raises an alert
    world = CareWorld(release=False)
    on_call = make_staff(Role.PRESCRIBER, world.psychiatry)
    rota(world, WEDNESDAY_11AM, [on_call])
    with time_machine.travel(WEDNESDAY_11AM, tick=False):
        alert = crisis_actions.raise_safety_alert(
            world.prescriber, world.client, "emergency", "Has the means at home."
        )

    # Then the on-call prescriber of the same practice reads the details
    assert "Has the means at home." in text(alert_page(on_call, alert))
    # and nothing was disclosed to anyone (same organisation is not a disclosure)
    assert not Disclosure.objects.filter(object_id=str(alert.public_id)).exists()


def test_the_on_call_reads_therapy_details_only_as_far_as_consent_reaches_the_practice():
    # Given no release, the therapist raises an alert
    world = CareWorld(release=False)
    on_call = make_staff(Role.PRESCRIBER, world.psychiatry)
    rota(world, WEDNESDAY_11AM, [on_call])
    with time_machine.travel(WEDNESDAY_11AM, tick=False):
        alert = crisis_actions.raise_safety_alert(
            world.therapist, world.client, "urgent", "Said she has a plan."
        )

    # Then the on-call prescriber, like the practice's care-team prescriber, reads why not
    page = text(alert_page(on_call, alert))
    assert "Said she has a plan." not in page
    assert "Withheld — no current release covers safety and risk information." in page
    assert reads_of(alert, on_call) == [{"outside_team": True, "details": False}]


def test_a_paged_practice_no_longer_on_the_care_team_gets_no_details():
    # Given an alert that paged the psychiatric practice's on-call prescriber
    world = CareWorld()
    on_call = make_staff(Role.PRESCRIBER, world.psychiatry)
    rota(world, WEDNESDAY_11AM, [on_call])
    with time_machine.travel(WEDNESDAY_11AM, tick=False):
        alert = crisis_actions.raise_safety_alert(
            world.therapist, world.client, "urgent", "Said she has a plan."
        )

    # When the practice leaves the client's care team while the alert is open
    CareTeamMember.objects.filter(client=world.client, organisation=world.psychiatry).update(
        ended_on=timezone.localdate()
    )

    # Then the on-call prescriber still sees the alert and may acknowledge it, without details
    response = alert_page(on_call, alert)
    assert response.status_code == 200
    page = text(response)
    assert "Said she has a plan." not in page
    assert "You were paged through the practice's on-call rota." in page
    assert "Acknowledge" in page
    assert reads_of(alert, on_call) == [{"outside_team": True, "details": False}]
    assert "Said she has a plan." not in text(alert_page(world.admin, alert))


def test_the_follow_up_reaches_another_practice_only_as_far_as_consent_does():
    # Given no release covers safety information, and the prescriber records the outcome of
    # an alert they raised (only someone who reads an alert's details may resolve it)
    world = CareWorld(release=False)
    alert = crisis_actions.raise_safety_alert(
        world.prescriber, world.client, "urgent", "Plan disclosed."
    )
    crisis_actions.record_outcome(
        actor=world.prescriber,
        alert=alert,
        outcome="not_needed",
        follow_up="Admitted overnight; seen by Dr Qz on the ward.",
    )

    # Then the prescriber reads their own practice's follow-up
    assert "Admitted overnight; seen by Dr Qz on the ward." in text(
        alert_page(world.prescriber, alert)
    )
    # but the therapist of the other practice reads only that an outcome was recorded
    page = text(alert_page(world.therapist, alert))
    assert "Admitted overnight" not in page
    assert "Recorded by another practice; no current release lets its assessment" in page

    # and once the client signs a release covering safety information, it shows
    world.collaboration_release(categories=[Category.SAFETY])
    assert "Admitted overnight; seen by Dr Qz on the ward." in text(
        alert_page(world.therapist, alert)
    )


def test_a_paged_practice_off_the_team_reads_no_follow_up_once_resolved():
    # Given an on-call prescriber paged for an alert, who is not on the care team
    world = CareWorld()
    on_call = make_staff(Role.PRESCRIBER, world.psychiatry)
    rota(world, WEDNESDAY_11AM, [on_call])
    with time_machine.travel(WEDNESDAY_11AM, tick=False):
        alert = crisis_actions.raise_safety_alert(
            world.therapist, world.client, "urgent", "Said she has a plan."
        )

    # When the therapist records the outcome (the alert is resolved)
    crisis_actions.record_outcome(
        actor=world.therapist, alert=alert, outcome="not_needed", follow_up="Seen by Qz tomorrow."
    )

    # Then the on-call prescriber's part is over: neither details nor follow-up show
    page = text(alert_page(on_call, alert))
    assert "Seen by Qz tomorrow." not in page
    assert "Said she has a plan." not in page


def test_the_alert_page_leads_its_clinicians_to_the_safety_plan_and_nobody_else():
    # Given an alert raised by the therapist, and the practice admin it escalates to
    world = CareWorld()
    admin = make_staff(Role.PRACTICE_ADMIN, world.psychiatry)
    alert = crisis_actions.raise_safety_alert(
        world.therapist, world.client, "urgent", "Said she has a plan."
    )
    plan = reverse("care:safety_plan", kwargs={"client_id": world.client.public_id})

    # Then both clinicians of the care team can open the safety plan from the alert
    for clinician in (world.therapist, world.prescriber):
        page = alert_page(clinician, alert).content.decode()
        assert f'href="{plan}"' in page
        assert "Open the safety plan" in page

    # And the admin, who may acknowledge but not open the plan, gets no link to it
    page = alert_page(admin, alert).content.decode()
    assert plan not in page
    assert http(admin).get(plan).status_code == 404


def test_the_practice_settings_page_leads_the_admin_to_the_rota_and_says_who_is_on_call():
    """The rota page was linked from nowhere: an admin could reach it only from a gap warning."""
    world = CareWorld()
    with time_machine.travel(WEDNESDAY_11AM, tick=False):
        crisis_actions.add_shift(
            actor=world.admin,
            organisation=world.psychiatry,
            user=world.prescriber,
            starts_at=WEDNESDAY_11AM - dt.timedelta(hours=1),
            ends_at=WEDNESDAY_11AM + dt.timedelta(days=3),
        )
        settings_page = http(world.admin).get(
            reverse("organisations:settings", args=[world.psychiatry.public_id])
        )

    rota = reverse("care:rota", kwargs={"org_id": world.psychiatry.public_id})
    assert f'href="{rota}"' in settings_page.content.decode()
    body = text(settings_page)
    assert f"On call now {world.prescriber.display_name}" in body
    assert "Nobody is on call for part of the coming week" in body
