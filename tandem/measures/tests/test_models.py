"""Symptom trackers: one name per client, defined by a clinician."""

import pytest
from django.db import IntegrityError

from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, make_staff
from tandem.measures.models import SymptomTracker


@pytest.mark.django_db
def test_a_client_has_one_tracker_of_each_name():
    # Given a prescriber tracking panic attacks for a client
    client = ClientFactory()
    prescriber = make_staff(Role.PRESCRIBER)
    tracker = SymptomTracker.objects.create(
        client=client, name="Panic attacks", unit="per week", created_by=prescriber
    )

    # Then falling counts are better by default, and the string shows no PHI
    assert tracker.lower_is_better is True
    assert str(tracker) == f"Symptom tracker {tracker.public_id}"
    # and a second tracker of the same name for the same client is refused
    with pytest.raises(IntegrityError):
        SymptomTracker.objects.create(
            client=client, name="Panic attacks", unit="per month", created_by=prescriber
        )


@pytest.mark.django_db
def test_another_client_may_track_the_same_name():
    prescriber = make_staff(Role.PRESCRIBER)
    SymptomTracker.objects.create(
        client=ClientFactory(),
        name="Hours of sleep",
        unit="a night",
        created_by=prescriber,
        lower_is_better=False,
    )

    other = SymptomTracker.objects.create(
        client=ClientFactory(),
        name="Hours of sleep",
        unit="a night",
        created_by=prescriber,
        lower_is_better=False,
    )

    assert SymptomTracker.objects.filter(name="Hours of sleep").count() == 2
    assert other.lower_is_better is False
