"""Clinicians read times in their own practice's time zone, not the server's."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tandem.core.roles import Role
from tandem.core.tests.factories import OrganisationFactory, make_staff
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.tests.support.http import Client as HttpClient

pytestmark = pytest.mark.django_db


def test_a_prescriber_in_los_angeles_reads_times_in_pacific_time():
    practice = OrganisationFactory(time_zone="America/Los_Angeles", holiday_subdivision="CA")
    prescriber = make_staff(Role.PRESCRIBER, practice)
    # 18:30 UTC is 10:30 in Los Angeles and 13:30 on the server's New York clock.
    with time_machine.travel(dt.datetime(2027, 1, 12, 18, 30, tzinfo=dt.UTC), tick=False):
        notify([prescriber], NotificationKind.GENERAL, "/dashboard/")
    browser = HttpClient()
    browser.force_login(prescriber)

    page = browser.get(reverse("notifications:list")).content.decode()

    assert "Jan 12, 2027, 10:30 AM" in page
    assert "1:30 PM" not in page
