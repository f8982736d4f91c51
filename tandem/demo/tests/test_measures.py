"""The article's composite case in the demo: chart, registry row and timeline tell the story."""

import pytest
from django.test import override_settings

from tandem.clients.models import Client
from tandem.demo import measures as measures_demo
from tandem.demo import seed
from tandem.measures.models import QuestionnaireResponse, SymptomEntry
from tandem.measures.selectors import registry_rows

pytestmark = pytest.mark.django_db


@override_settings(DEMO_MODE=True)
def test_the_case_is_seeded_once_and_tells_the_story():
    # Given the demo world seeded twice
    seed.seed_demo()
    second = seed.seed_demo()

    # Then the second run made nothing new
    assert second.created == {}
    wren = Client.objects.get(email=measures_demo.EMAIL)
    assert (wren.first_name, wren.last_name) == ("Wren", "Halloway")
    assert QuestionnaireResponse.objects.filter(client=wren).count() == 14
    panic = SymptomEntry.objects.filter(tracker__client=wren, tracker__name="Panic attacks")
    assert panic.count() == 17
    # panic attacks two or three a week before, one or two a month from week eight
    values = [int(e.value) for e in panic.order_by("recorded_on")]
    assert values[:4] == [3, 2, 3, 3]
    assert sum(values[12:]) == 2  # weeks 8-12: 2 attacks in five weeks

    # And the prescriber's registry row shows a GAD-7 response at week 12
    from tandem.accounts.models import User

    prescriber = User.objects.get(email="elena.marsh@demo.tandem.test")
    row = next(r for r in registry_rows(prescriber, "gad-7") if r.client.pk == wren.pk)
    assert (row.baseline.total, row.latest.total, row.weeks_in_treatment) == (16, 5, 12)
    assert (row.change_percent, row.response, row.not_improving) == (-69, True, False)
    # and the therapist, under Wren's release, sees the prescriber's scores too
    therapist = User.objects.get(email="ruth.feldman@demo.tandem.test")
    row = next(r for r in registry_rows(therapist, "gad-7") if r.client.pk == wren.pk)
    assert row.withheld == 0

    # And the sertraline start is on her care timeline
    from tandem.care.selectors import timeline

    titles = [i.title for i in timeline(therapist, wren)]
    assert "Medication started" in titles
