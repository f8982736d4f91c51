"""The demo's on-call rota: who is told of a safety alert, when, and what they can open.

A demanding practice expects the prescriber on call told at once, then the next one on
the rota, then the practice admin; a practice with one prescriber goes from them to the
admin. The demo is seeded once for the module, on a Monday a few seconds after the
weekly handover, with the clock kept there; each test's changes are rolled back.
"""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tandem.accounts.models import User
from tandem.care.crisis import actions
from tandem.care.crisis.models import AlertStatus, OnCallShift, SafetyAlert
from tandem.care.crisis.selectors import on_call_now, rota_gaps
from tandem.clients.models import Client
from tandem.demo.crisis import WEEKS_AFTER, WEEKS_BEFORE, week_starts
from tandem.notifications.models import Notification, NotificationKind
from tandem.organisations.models import Organisation
from tandem.tests.support.demo import seeded_once
from tandem.tests.support.http import Client as WebClient

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 9:00:05 in Boston: five seconds into a week of the rota.
SEEDED_AT = dt.datetime(2026, 11, 30, 14, 0, 5, tzinfo=dt.UTC)
DEMO = "@demo.tandem.test"
HARBORLIGHT, QUINSIGAMOND = "Harborlight Psychiatry", "Quinsigamond Behavioral Health Group"


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    with seeded_once(django_db_blocker, at=SEEDED_AT, keep_clock=True) as world:
        yield world


def _user(local: str) -> User:
    return User.objects.get(email=local + DEMO)


def _as(local: str) -> WebClient:
    web = WebClient()
    web.force_login(_user(local))
    return web


def _told(alert: SafetyAlert, kind: str) -> set[str]:
    link = reverse("care:alert", kwargs={"alert_id": alert.public_id})
    return {
        email.removesuffix(DEMO)
        for email in Notification.objects.filter(kind=kind, link=link).values_list(
            "recipient__email", flat=True
        )
    }


def _window(organisation: Organisation) -> tuple[dt.datetime, dt.datetime]:
    starts = week_starts(ZoneInfo(organisation.time_zone), SEEDED_AT)
    return starts[0], starts[-1] + dt.timedelta(weeks=1)


@pytest.mark.parametrize("practice", [HARBORLIGHT, QUINSIGAMOND])
def test_the_rota_has_no_gap_from_weeks_before_to_months_after_the_seed(demo_world, practice):
    organisation = Organisation.objects.get(name=practice)
    start, end = _window(organisation)

    assert rota_gaps(organisation, start, end) == []
    assert start <= SEEDED_AT - dt.timedelta(weeks=WEEKS_BEFORE)
    assert end >= SEEDED_AT + dt.timedelta(weeks=WEEKS_AFTER)
    # Handed over on Mondays at 9:00 in Boston
    boston = ZoneInfo("America/New_York")
    for shift in OnCallShift.objects.filter(organisation=organisation):
        local = shift.starts_at.astimezone(boston)
        assert (local.weekday(), local.time()) == (0, dt.time(9, 0))


def test_harborlight_prescribers_alternate_weekly_as_first_and_backup(demo_world):
    harborlight = Organisation.objects.get(name=HARBORLIGHT)
    weeks: dict[dt.datetime, list[str]] = {}
    for shift in OnCallShift.objects.filter(organisation=harborlight).order_by(
        "starts_at", "order"
    ):
        weeks.setdefault(shift.starts_at, []).append(shift.user.email.removesuffix(DEMO))

    firsts = [people[0] for people in weeks.values()]
    assert all(sorted(p) == ["elena.marsh", "samuel.adeyemi"] for p in weeks.values())
    assert all(a != b for a, b in itertools.pairwise(firsts))
    # The week under way is Elena's (flagged on call), Samuel's the next
    assert on_call_now(harborlight, SEEDED_AT) == [_user("elena.marsh"), _user("samuel.adeyemi")]
    next_week = SEEDED_AT + dt.timedelta(weeks=1)
    assert on_call_now(harborlight, next_week) == [_user("samuel.adeyemi"), _user("elena.marsh")]


def test_quinsigamond_has_its_one_prescriber_on_call_every_week(demo_world):
    quinsigamond = Organisation.objects.get(name=QUINSIGAMOND)

    assert set(
        OnCallShift.objects.filter(organisation=quinsigamond).values_list("user__email", "order")
    ) == {("marcus.delacroix" + DEMO, 1)}


def test_after_the_window_the_prescriber_flagged_on_call_answers(demo_world):
    harborlight = Organisation.objects.get(name=HARBORLIGHT)
    _, end = _window(harborlight)

    assert on_call_now(harborlight, end + dt.timedelta(hours=1)) == [_user("elena.marsh")]


@pytest.mark.parametrize(
    ("practice", "admin"), [(HARBORLIGHT, "grace.whitcombe"), (QUINSIGAMOND, "robert.nakamura")]
)
def test_the_admin_rota_page_shows_the_shifts_and_the_coming_week_covered(
    demo_world, practice, admin
):
    organisation = Organisation.objects.get(name=practice)

    page = _as(admin).get(reverse("care:rota", kwargs={"org_id": organisation.public_id}))

    body = page.content.decode()
    assert page.status_code == 200
    assert "The coming week is covered." in body
    assert "data-gaps" not in body
    for shift in OnCallShift.objects.filter(organisation=organisation):
        assert shift.user.display_name in body


def test_an_unacknowledged_alert_reaches_the_next_prescriber_then_the_admin(demo_world):
    """SAFETY: Wren's alert tells Elena at once; its escalation, Samuel and Grace; he acts."""
    wren = Client.objects.get(first_name="Wren", last_name="Halloway")
    alert = actions.raise_safety_alert(
        _user("ruth.feldman"), wren, "urgent", "Said in session she has a plan."
    )

    # At once: Elena, on Wren's care team and first on the rota this week
    assert _told(alert, NotificationKind.SAFETY_ALERT) == {"elena.marsh"}
    samuel = _as("samuel.adeyemi")
    page = reverse("care:alert", kwargs={"alert_id": alert.public_id})

    # When the window runs out: the next prescriber on the rota and the admin
    with time_machine.travel(alert.ack_due_at + dt.timedelta(minutes=1), tick=False):
        assert actions.escalate(alert.pk, 1)
    assert _told(alert, NotificationKind.SAFETY_ESCALATION) == {
        "samuel.adeyemi",
        "grace.whitcombe",
    }

    # Samuel, not on Wren's team, opens it from his banner, reads what happened, acknowledges
    home = samuel.get(reverse("core:dashboard")).content.decode()
    assert "data-open-alerts" in home
    assert page in home
    opened = samuel.get(page)
    assert opened.status_code == 200
    assert "Said in session she has a plan." in opened.content.decode()
    assert samuel.post(page, {"acknowledge": ""}).status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == (
        AlertStatus.ACKNOWLEDGED,
        _user("samuel.adeyemi"),
    )


def test_at_the_one_prescriber_practice_the_escalation_goes_to_the_admin(demo_world):
    quinsigamond = Organisation.objects.get(name=QUINSIGAMOND)
    client = Client.objects.filter(
        care_team__organisation=quinsigamond, care_team__role="prescriber"
    ).first()
    therapist = client.care_team.get(role="therapist").user
    alert = actions.raise_safety_alert(therapist, client, "urgent", "Missed two sessions.")

    assert _told(alert, NotificationKind.SAFETY_ALERT) == {"marcus.delacroix"}
    assert actions.escalate(alert.pk, 1)
    assert _told(alert, NotificationKind.SAFETY_ESCALATION) == {"robert.nakamura"}
