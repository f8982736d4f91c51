"""Ten simultaneous holds of different times by one client on PostgreSQL: exactly one wins."""

from functools import partial

import pytest

from tandem.scheduling import actions
from tandem.scheduling.actions import BookingLimitError
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.tests.factories import Practice, at
from tandem.tests.support.race import all_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

#: Ten different open times (past the minimum notice; not Patriots' Day).
STARTS = [at(2027, 4, day, hour) for day in (14, 15, 16, 20) for hour in (9, 10, 11)][:10]


def test_one_client_racing_for_ten_first_visits_gets_exactly_one():
    p = Practice()

    outcomes = all_at_once(
        *[
            partial(
                actions.hold_slot,
                actor=p.client_user,
                organisation=p.org,
                prescriber=p.prescriber,
                appointment_type=p.new_eval,
                starts_at=starts_at,
                client=p.client,
                now=at(2027, 4, 12, 10),
            )
            for starts_at in STARTS
        ]
    )

    labels = [outcome.label(BookingLimitError) for outcome in outcomes]
    assert sorted(labels) == ["refused"] * 9 + ["won"], labels
    assert Appointment.objects.filter(client=p.client, status=AppointmentStatus.HELD).count() == 1
