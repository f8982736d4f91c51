"""A questionnaire result held until a release covers it is accounted the first time it shows."""

import pytest
from django.urls import reverse

from tandem.care.medications import actions as care_actions
from tandem.care.models import MedicationChange
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


def test_chart_markers_and_case_reviews_first_shown_on_the_measures_page_are_accounted():
    # Given a medication started and a case review recorded while no release covered them,
    # then a release for medications and consultation notes
    world = CareWorld(release=False)
    event, _ = care_actions.record_medication(
        actor=world.prescriber, client=world.client, change=MedicationChange.START,
        drug="sertraline", dose="25", unit="mg", frequency="once daily",
    )  # fmt: skip
    review = measures_actions.record_case_review(
        actor=world.prescriber, client=world.client, recommendations="Raise sertraline."
    )
    assert not Disclosure.objects.exists()
    world.collaboration_release(categories=[Category.MEDICATIONS, Category.CONSULT_NOTES])

    # When the therapist opens the client's measures twice
    path = reverse("measures:client", kwargs={"client_id": world.client.public_id})
    page = http(world.therapist).get(path)
    http(world.therapist).get(path)

    # Then both show, and each is accounted once to the therapist's practice
    assert "Raise sertraline." in page.content.decode()
    assert sorted(
        Disclosure.objects.values_list("object_type", "object_id", "recipient_organisation")
    ) == sorted(
        [
            ("care.medicationevent", str(event.public_id), world.therapy.pk),
            ("measures.casereview", str(review.public_id), world.therapy.pk),
        ]
    )
