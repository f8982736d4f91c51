"""Progress check-ins on the prescriber's cadence, reminders when overdue, unsolicited updates."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from tandem.care import selectors
from tandem.care.checkins import actions as checkin_actions
from tandem.care.models import CheckInCadence, CheckInStatus, ProgressCheckIn
from tandem.care.tests.factories import CareWorld
from tandem.care.tests.helpers import http, text
from tandem.notifications.models import Notification, NotificationKind
from tandem.tests.support.clock import world_built_on
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")
MONDAY = dt.datetime(2027, 3, 1, 8, 0, tzinfo=BOSTON)
_built = world_built_on(
    dt.datetime(2027, 2, 22, 9, 0, tzinfo=BOSTON)
)  # before the fixed days of March 2027


ANSWER = {"change": "better", "functioning": "Back at work full time.", "engagement": "full"}


def run_at(moment, capture):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        run_worker()


def test_cadence_every_2_weeks_for_8_weeks_then_monthly():
    cadence = CheckInCadence(
        starts_on=dt.date(2027, 3, 1), early_every_days=14, early_weeks=8, later_every_days=30
    )
    dates = [dt.date(2027, 3, 1)]
    for _ in range(6):
        dates.append(cadence.next_after(dates[-1]))
    assert dates == [
        dt.date(2027, 3, 1),
        dt.date(2027, 3, 15),
        dt.date(2027, 3, 29),
        dt.date(2027, 4, 12),
        dt.date(2027, 4, 26),
        dt.date(2027, 5, 26),
        dt.date(2027, 6, 25),
    ]


def test_the_therapist_is_asked_on_each_due_date_reminded_when_overdue_and_the_answer_lands(
    django_capture_on_commit_callbacks,
):
    world = CareWorld()
    with (
        time_machine.travel(MONDAY, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        checkin_actions.set_checkin_cadence(
            actor=world.prescriber,
            client=world.client,
            early_every_days=14,
            early_weeks=8,
            later_every_days=30,
            starts_on=dt.date(2027, 3, 2),
        )
    # Nothing before the due date
    run_at(MONDAY + dt.timedelta(hours=12), django_capture_on_commit_callbacks)
    assert not ProgressCheckIn.objects.exists()

    # On the due date at 9:00 the primary therapist is asked, with a date to answer by
    run_at(dt.datetime(2027, 3, 2, 9, 1, tzinfo=BOSTON), django_capture_on_commit_callbacks)
    checkin = ProgressCheckIn.objects.get()
    assert (checkin.status, checkin.therapist, checkin.due_on) == (
        CheckInStatus.REQUESTED,
        world.therapist,
        dt.date(2027, 3, 2),
    )
    assert checkin.answer_by == dt.datetime(2027, 3, 7, 9, 0, tzinfo=BOSTON)
    assert (
        Notification.objects.filter(
            kind=NotificationKind.CHECKIN_REQUEST, recipient=world.therapist
        ).count()
        == 1
    )
    # carrying the check-in's short reference, so it can be talked about without a name
    assert Notification.objects.get(kind=NotificationKind.CHECKIN_REQUEST).reference == (
        checkin.reference
    )

    # Overdue: a reminder, once
    run_at(dt.datetime(2027, 3, 7, 9, 1, tzinfo=BOSTON), django_capture_on_commit_callbacks)
    run_at(dt.datetime(2027, 3, 7, 10, 0, tzinfo=BOSTON), django_capture_on_commit_callbacks)
    assert Notification.objects.filter(kind=NotificationKind.CHECKIN_OVERDUE).count() == 1

    # The therapist answers through the page; the prescriber is told and sees it on the timeline
    with time_machine.travel(dt.datetime(2027, 3, 8, 10, 0, tzinfo=BOSTON), tick=False):
        path = reverse("care:checkin", kwargs={"checkin_id": checkin.public_id})
        assert http(world.therapist).post(path, ANSWER).status_code == 302
    checkin.refresh_from_db()
    assert checkin.status == CheckInStatus.ANSWERED
    assert (
        Notification.objects.filter(
            kind=NotificationKind.CHECKIN_ANSWERED, recipient=world.prescriber
        ).count()
        == 1
    )
    [item] = selectors.timeline(world.prescriber, world.client, ["checkin"])
    assert item.shown
    assert ("Functioning", "Back at work full time.") in item.lines

    # No more reminders after the answer; the next request comes two weeks after the first
    run_at(dt.datetime(2027, 3, 10, 9, 1, tzinfo=BOSTON), django_capture_on_commit_callbacks)
    assert Notification.objects.filter(kind=NotificationKind.CHECKIN_OVERDUE).count() == 1
    run_at(dt.datetime(2027, 3, 16, 9, 1, tzinfo=BOSTON), django_capture_on_commit_callbacks)
    assert list(ProgressCheckIn.objects.order_by("due_on").values_list("due_on", flat=True)) == [
        dt.date(2027, 3, 2),
        dt.date(2027, 3, 16),
    ]


def test_changing_the_cadence_stops_the_old_timers(django_capture_on_commit_callbacks):
    world = CareWorld()
    with (
        time_machine.travel(MONDAY, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        kwargs = {
            "actor": world.prescriber,
            "client": world.client,
            "early_weeks": 8,
            "later_every_days": 30,
        }
        checkin_actions.set_checkin_cadence(
            early_every_days=14, starts_on=dt.date(2027, 3, 2), **kwargs
        )
        checkin_actions.set_checkin_cadence(
            early_every_days=21, starts_on=dt.date(2027, 3, 9), **kwargs
        )

    run_at(dt.datetime(2027, 3, 3, 9, 0, tzinfo=BOSTON), django_capture_on_commit_callbacks)
    assert not ProgressCheckIn.objects.exists()
    run_at(dt.datetime(2027, 3, 9, 9, 1, tzinfo=BOSTON), django_capture_on_commit_callbacks)
    assert list(ProgressCheckIn.objects.values_list("due_on", flat=True)) == [dt.date(2027, 3, 9)]


def test_an_unsolicited_update_and_bad_input():
    world = CareWorld()
    with pytest.raises(ValidationError) as bad:
        checkin_actions.send_progress_update(
            actor=world.therapist, client=world.client, data={"change": "fine"}
        )
    assert set(bad.value.message_dict) == {"change", "engagement", "functioning"}
    with pytest.raises(ValidationError) as bad_cadence:
        checkin_actions.set_checkin_cadence(
            actor=world.prescriber,
            client=world.client,
            early_every_days=2,
            early_weeks=8,
            later_every_days=30,
        )
    assert bad_cadence.value.message_dict == {
        "early_every_days": ["Ask every 7 to 60 days during the first weeks."]
    }

    path = reverse("care:checkins", kwargs={"client_id": world.client.public_id})
    response = http(world.therapist).post(
        path, {"update": "1", **ANSWER, "concerns": "Mild nausea."}
    )
    assert response.status_code == 302
    update = ProgressCheckIn.objects.get()
    assert (update.unsolicited, update.concerns) == (True, "Mild nausea.")
    assert "Progress update (unsolicited)" in text(
        http(world.prescriber).get(
            reverse("care:timeline", kwargs={"client_id": world.client.public_id})
        )
    )


def test_the_prescribers_check_ins_tab_lists_the_answered_check_ins_and_accounts_the_read():
    """Issue 13: the prescriber's check-ins tab showed no answered check-ins."""
    from tandem.consent.models import Disclosure

    world = CareWorld()
    update, _ = checkin_actions.send_progress_update(
        actor=world.therapist, client=world.client, data=ANSWER
    )
    path = reverse("care:checkins", kwargs={"client_id": world.client.public_id})

    page = http(world.prescriber).get(path)

    body = text(page)
    assert "Progress update (unsolicited)" in body
    assert "Back at work full time." in body
    assert reverse("care:checkin", kwargs={"checkin_id": update.public_id}) in page.content.decode()
    assert Disclosure.objects.filter(client=world.client, recipient_user=world.prescriber).exists()
