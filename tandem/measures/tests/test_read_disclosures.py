"""A questionnaire result held until a release covers it is accounted the first time it shows."""

import pytest
from django.urls import reverse

from tandem.care.tests.factories import CareWorld
from tandem.care.tests.helpers import http
from tandem.consent.categories import Category
from tandem.consent.models import Disclosure
from tandem.measures import actions as measures_actions
from tandem.measures.tests.factories import answers_totalling

pytestmark = pytest.mark.django_db


def held_result(world):
    response = measures_actions.record_response(
        world.prescriber, world.client, "phq-9", answers_totalling(14),
        source="clinician", idempotency_key="held-1", organisation=world.psychiatry,
    )  # fmt: skip
    assert not Disclosure.objects.exists()  # the release leaves questionnaire results out
    world.collaboration_release(categories=[Category.QUESTIONNAIRES])
    return response


@pytest.mark.parametrize("page", ["client", "response"])
def test_the_first_showing_of_a_released_result_is_accounted_once(page):
    # Given a PHQ-9 the practice collected while no release covered results, released later
    world = CareWorld()
    response = held_result(world)
    path = (
        reverse("measures:client", kwargs={"client_id": world.client.public_id})
        if page == "client"
        else reverse("measures:response", kwargs={"response_id": response.public_id})
    )

    # When the therapist opens the page twice
    first = http(world.therapist).get(path)
    http(world.therapist).get(path)

    # Then the result shows, and one row accounts for it
    assert "PHQ-9" in first.content.decode()
    row = Disclosure.objects.get()
    assert (
        row.object_type, row.object_id, row.category, row.recipient_organisation,
        row.basis, row.first_shown, row.description,
    ) == (
        "measures.questionnaireresponse", str(response.public_id), "questionnaires",
        world.therapy, "allowed_by_release", True, "PHQ-9 result",
    )  # fmt: skip
