"""The banner's alerts are read only when the user's own query says one may wait for them.

``crisis.selectors.alert_may_wait`` comes with the signed-in user (a column of their
query); on a request that writes nothing (a GET) a user it says no alert waits for reads
none, without the banner's query. It must never hide an alert the full read would show.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import RequestFactory

from tandem.accounts.backends import ModelBackend
from tandem.care.crisis import actions as crisis_actions
from tandem.care.crisis.selectors import ALERT_MAY_WAIT, open_alert_rows
from tandem.care.models import OnCallShift
from tandem.care.tests.factories import CareWorld
from tandem.clients.models import CareTeamMember
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, UserFactory, add_to_care_team, make_staff
from tandem.organisations.models import Membership
from tandem.workspace.context_processors import settled

pytestmark = pytest.mark.django_db

WEDNESDAY_11AM = dt.datetime(2027, 3, 10, 11, 0, tzinfo=ZoneInfo("America/New_York"))


def loaded(user):
    """Return ``user`` as a request loads them: through the session's backend, facts and all."""
    return ModelBackend().get_user(user.pk)


def test_the_flag_never_hides_an_alert_the_full_read_shows(django_capture_on_commit_callbacks):
    # Given alerts on a care team's client and from a questionnaire paging the psychiatric
    # practice, and people around them in every relation the banner knows
    world = CareWorld()
    with time_machine.travel(WEDNESDAY_11AM, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            crisis_actions.raise_safety_alert(world.therapist, world.client, "urgent", "Plan.")
            crisis_actions.raise_safety_alert(
                None,
                ClientFactory(user=UserFactory()),
                "urgent",
                "Questionnaire.",
                source="questionnaire",
                organisation=world.psychiatry,
            )
        flagged = make_staff(Role.PRESCRIBER, world.psychiatry)
        Membership.objects.filter(user=flagged).update(is_on_call=True)
        on_rota = make_staff(Role.PRESCRIBER, world.psychiatry)
        colleague = make_staff(Role.PRESCRIBER, world.psychiatry)
        left_the_team = make_staff(Role.THERAPIST)
        seat = add_to_care_team(world.client, left_the_team, Role.THERAPIST)
        CareTeamMember.objects.filter(pk=seat.pk).update(ended_on=dt.date(2027, 1, 1))
        elsewhere = make_staff(Role.PRESCRIBER)
        people = {
            "therapist": world.therapist,
            "prescriber": world.prescriber,
            "coordinator": world.coordinator,
            "flagged": flagged,
            "colleague": colleague,
            "left the team": left_the_team,
            "elsewhere": elsewhere,
            "on rota": on_rota,
        }
        for rota in (False, True):
            if rota:
                OnCallShift.objects.create(
                    organisation=world.psychiatry,
                    user=on_rota,
                    starts_at=WEDNESDAY_11AM - dt.timedelta(hours=1),
                    ends_at=WEDNESDAY_11AM + dt.timedelta(hours=1),
                    order=1,
                )
            for who, user in people.items():
                # When each opens a page: as loaded at the start of a GET, and read in full
                viewer = loaded(user)
                full = open_alert_rows(viewer)

                # Then the GET's read is the full read, and the flag is up wherever it shows any
                assert open_alert_rows(viewer, settled=True) == full, (who, rota)
                if full:
                    assert getattr(viewer, ALERT_MAY_WAIT), (who, rota)

    # and the flag spares the read for those no alert can wait for
    assert not getattr(loaded(elsewhere), ALERT_MAY_WAIT)
    assert not getattr(loaded(left_the_team), ALERT_MAY_WAIT)
    assert open_alert_rows(loaded(world.therapist))  # the case is not empty


def test_a_request_that_writes_reads_the_alerts_whatever_the_user_was_loaded_with():
    # Given a therapist loaded at the start of a request, with no alert waiting
    world = CareWorld()
    viewer = loaded(world.therapist)
    assert not getattr(viewer, ALERT_MAY_WAIT)

    # When the same request raises an alert for their client (a POST)
    crisis_actions.raise_safety_alert(world.therapist, world.client, "urgent", "Has a plan.")

    # Then a page it renders reads the alert; only a GET's (which cannot raise one) trusts
    # the flag
    assert len(open_alert_rows(viewer, settled=False)) == 1
    assert not settled(RequestFactory().post("/"))
    assert settled(RequestFactory().get("/"))
    assert settled(RequestFactory().head("/"))
