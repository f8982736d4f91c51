"""Ten simultaneous holds of different times by one client on PostgreSQL: exactly one wins."""

import threading

import pytest
from django.db import connection

from tandem.scheduling import actions
from tandem.scheduling.actions import BookingLimitError
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.tests.factories import Practice, at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

#: Ten different open times (past the minimum notice; not Patriots' Day).
STARTS = [at(2027, 4, day, hour) for day in (14, 15, 16, 20) for hour in (9, 10, 11)][:10]


def test_one_client_racing_for_ten_first_visits_gets_exactly_one():
    p = Practice()
    start = threading.Barrier(len(STARTS))
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(starts_at):
        try:
            start.wait(10)
            actions.hold_slot(
                actor=p.client_user,
                organisation=p.org,
                prescriber=p.prescriber,
                appointment_type=p.new_eval,
                starts_at=starts_at,
                client=p.client,
                now=at(2027, 4, 12, 10),
            )
            result = "won"
        except BookingLimitError:
            result = "refused"
        except Exception as error:  # anything else is a failure the assertion shows
            result = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=(s,)) for s in STARTS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(outcomes) == ["refused"] * 9 + ["won"], outcomes
    assert Appointment.objects.filter(client=p.client, status=AppointmentStatus.HELD).count() == 1
