"""The pages: answering on the portal, entering on paper, the confirmation, the charts."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.consent.actions import revoke_release
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.measures import actions
from tandem.measures.models import (
    CaseReview,
    QuestionnaireResponse,
    SymptomEntry,
    SymptomTracker,
)
from tandem.measures.tests.factories import MeasuresWorld, answers_totalling

pytestmark = pytest.mark.django_db


def _portal_answers(values, key="k-1"):
    data = {f"item-{i}": str(v) for i, v in enumerate(values) if v is not None}
    data["idempotency_key"] = key
    return data


def test_the_form_has_one_fieldset_with_a_legend_per_question(client):
    world = MeasuresWorld()
    client.force_login(world.client_user)
    body = client.get(reverse("measures:answer", args=["phq-9"])).content.decode()
    assert body.count('<fieldset id="item-') == 10
    assert (
        '<legend><span class="q-number">Question 9 of 10</span> Thoughts that you would be better off dead'
        in body
    )
    assert 'src="/static/measures/stepper.js"' in body


def test_a_client_answers_item_9_and_sees_crisis_resources_at_once(client):
    # Given a client signed in to the portal
    world = MeasuresWorld()
    client.force_login(world.client_user)

    # When they send a PHQ-9 with item 9 at 1 (total 3)
    response = client.post(
        reverse("measures:answer", args=["phq-9"]), _portal_answers([1, 1, 0, 0, 0, 0, 0, 0, 1])
    )

    # Then the answers are stored once, as a portal response for the therapist's practice
    stored = QuestionnaireResponse.objects.get()
    assert (stored.source, stored.total, stored.organisation) == ("portal", 3, world.therapy)
    assert response["Location"] == reverse("measures:response", args=[stored.public_id])
    # and the confirmation shows 988 and 911 first
    page = client.get(response["Location"]).content.decode()
    assert 'href="tel:988"><strong>988</strong>' in page
    assert 'href="tel:911"><strong>911</strong>' in page
    assert "Your care team has been alerted to your answer." in page


def test_a_double_submitted_portal_form_stores_one_response(client):
    world = MeasuresWorld()
    client.force_login(world.client_user)
    data = _portal_answers([0, 1, 0, 1, 0, 1, 0], key="same")
    first = client.post(reverse("measures:answer", args=["gad-7"]), data)
    second = client.post(reverse("measures:answer", args=["gad-7"]), data)
    assert first["Location"] == second["Location"]
    assert QuestionnaireResponse.objects.count() == 1


def test_a_blank_question_on_the_portal_is_named_and_nothing_is_saved(client):
    world = MeasuresWorld()
    client.force_login(world.client_user)
    response = client.post(
        reverse("measures:answer", args=["phq-9"]), _portal_answers([1, 1, 1, None, 1, 1, 1, 1, 0])
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert '<a href="#item-3">Question 4: choose an answer.</a>' in body
    # what was chosen is kept
    assert re.search(r'name="item-0" value="1"\s+checked', body)
    assert not QuestionnaireResponse.objects.exists()


def test_an_out_of_range_value_is_refused_naming_the_item(client):
    world = MeasuresWorld()
    client.force_login(world.client_user)
    data = _portal_answers([0, 0, 0, 0, 7, 0, 0, 0, 0])
    response = client.post(reverse("measures:answer", args=["phq-9"]), data)
    assert response.status_code == 400
    assert "PHQ-9 item 5: the answer must be one of 0, 1, 2, 3; got 7." in response.content.decode()


def test_a_clinician_enters_a_paper_form_with_blanks_prorated(client):
    world = MeasuresWorld()
    client.force_login(world.prescriber)
    data = _portal_answers([1, 1, 1, 1, 1, 1, 1, None, 0], key="paper")
    data.update(source="paper", answered_on="")
    response = client.post(reverse("measures:enter", args=[world.client.public_id, "phq-9"]), data)
    stored = QuestionnaireResponse.objects.get()
    assert response.status_code == 302
    assert (stored.source, stored.total, stored.prorated, stored.entered_by) == (
        "paper",
        8,
        True,
        world.prescriber,
    )


def test_audit_c_without_sex_is_refused_on_the_paper_form(client):
    world = MeasuresWorld()
    client.force_login(world.prescriber)
    data = _portal_answers([2, 1, 0], key="ac")
    data.update(source="paper")
    response = client.post(
        reverse("measures:enter", args=[world.client.public_id, "audit-c"]), data
    )
    assert response.status_code == 400
    assert "AUDIT-C needs sex (&#x27;female&#x27; or &#x27;male&#x27;)" in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()


def test_the_chart_page_draws_each_measure_with_bands_markers_and_a_table(client):
    # Given scores, a tracker with values, and a medication start
    from django.utils import timezone

    from tandem.care.models import MedicationEvent

    world = MeasuresWorld()
    world.phq9(answers_totalling(16), days_ago=40)
    world.phq9(answers_totalling(7), days_ago=2)
    MedicationEvent.objects.create(
        client=world.client, prescriber=world.prescriber, organisation=world.psychiatry,
        change="start", drug="sertraline", occurred_at=timezone.now() - timezone.timedelta(days=30),
    )  # fmt: skip
    tracker = actions.define_tracker(
        actor=world.prescriber, client=world.client, name="Panic attacks", unit="per week"
    )
    actions.record_symptom(
        actor=world.prescriber, tracker=tracker, recorded_on="2026-01-05", value="3"
    )
    client.force_login(world.prescriber)

    body = client.get(reverse("measures:client", args=[world.client.public_id])).content.decode()

    assert body.count('<svg class="trend-chart"') == 2
    assert 'role="img" aria-label="PHQ-9: 2 values from' in body
    assert "first 16, latest 7." in body
    assert body.count('class="band"') == 5  # PHQ-9's five published bands
    assert "℞1</span> Started sertraline" in body
    assert "<caption>PHQ-9: every result</caption>" in body
    assert "<caption>Panic attacks (per week): every value</caption>" in body
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, client_id=str(world.client.public_id)
    ).exists()


def test_a_result_answered_after_revocation_shows_as_withheld_to_the_other_practice(client):
    world = MeasuresWorld()
    release = world.release_questionnaires()
    revoke_release(actor=world.client_user, release=release)
    world.phq9(answers_totalling(19), by=world.therapist)
    client.force_login(world.prescriber)

    body = client.get(reverse("measures:client", args=[world.client.public_id])).content.decode()

    assert (
        "Withheld — no current release covers questionnaire results. The client revoked the release."
        in body
    )
    assert 'aria-label="PHQ-9: no values yet."' in body
    assert "<td>19</td>" not in body


def test_trackers_schedules_and_reviews_from_the_page(client):
    from tandem.consent.categories import Category

    world = MeasuresWorld()
    world.release_questionnaires(categories=[Category.CONSULT_NOTES])
    client.force_login(world.prescriber)
    url = world.client.public_id
    client.post(
        reverse("measures:tracker_new", args=[url]), {"name": "Panic attacks", "unit": "per week"}
    )
    tracker = SymptomTracker.objects.get()
    client.post(
        reverse("measures:tracker_entry", args=[tracker.public_id]),
        {"value": "2", "recorded_on": "2026-01-12"},
    )
    client.post(
        reverse("measures:schedule", args=[url]), {"instrument": "gad-7", "every_days": "14"}
    )
    client.post(reverse("measures:review", args=[url]), {"recommendations": "Raise the SSRI dose."})

    assert SymptomEntry.objects.get().value == 2
    page = client.get(reverse("measures:client", args=[url])).content.decode()
    assert "GAD-7 every 14 days" in page
    assert "Raise the SSRI dose." in page
    # the therapist (whose practice the release covers) is told of the review
    from tandem.notifications.models import Notification

    assert Notification.objects.filter(recipient=world.therapist).exists()


def test_a_therapist_may_not_set_the_cadence_and_is_told_why(client):
    world = MeasuresWorld()
    client.force_login(world.therapist)
    response = client.post(
        reverse("measures:schedule", args=[world.client.public_id]),
        {"instrument": "gad-7", "every_days": "14"}, follow=True,
    )  # fmt: skip
    assert (
        "Only the client&#x27;s prescriber sets the measurement cadence."
        in response.content.decode()
    )


def test_strangers_get_404_on_the_chart(client):
    world = MeasuresWorld()
    client.force_login(make_staff(Role.PRESCRIBER))
    assert client.get(reverse("measures:client", args=[world.client.public_id])).status_code == 404


@pytest.mark.django_db
def test_the_other_practice_reads_a_case_review_only_under_a_release_for_consult_notes(client):
    # Given a case review recorded by the prescriber and a release for questionnaires only
    from tandem.consent.categories import Category
    from tandem.measures import actions as measures_actions

    world = MeasuresWorld()
    world.release_questionnaires()
    measures_actions.record_case_review(
        actor=world.prescriber, client=world.client, recommendations="Qz raise to 100 mg."
    )
    page = reverse("measures:client", kwargs={"client_id": world.client.public_id})
    client.force_login(world.therapist)

    # Then the therapist does not read it until consultation notes are released too
    assert "Qz raise to 100 mg." not in client.get(page).content.decode()
    world.release_questionnaires(categories=[Category.CONSULT_NOTES])
    assert "Qz raise to 100 mg." in client.get(page).content.decode()


def test_a_withheld_result_page_names_neither_the_instrument_nor_the_score(client):
    # Given a PHQ-9 the therapist entered after the client revoked the release
    world = MeasuresWorld()
    release = world.release_questionnaires()
    revoke_release(actor=world.client_user, release=release)
    response = world.phq9(answers_totalling(19), by=world.therapist)
    client.force_login(world.prescriber)

    # When the other practice's prescriber opens the result
    body = client.get(reverse("measures:response", args=[response.public_id])).content.decode()

    # Then the page says it is withheld and names neither the instrument nor the score
    assert "Withheld — no current release covers questionnaire results." in body
    assert "PHQ-9" not in body
    assert "<title>Questionnaire result" in body
    assert "19" not in re.sub(r"<[^>]+>", " ", body).split()


def test_a_tracker_name_too_long_is_refused_naming_the_field_and_not_cut(client):
    # Given a clinician on the client's page, who once added a tracker with a long name
    world = MeasuresWorld()
    client.force_login(world.prescriber)
    url = reverse("measures:tracker_new", args=[world.client.public_id])
    long_name = "Panic attacks " + "x" * 120

    # When they add it (twice, as a double click would) and add a unit far too long
    first = client.post(url, {"name": long_name, "unit": "per week"}, follow=True)
    second = client.post(url, {"name": long_name, "unit": "per week"}, follow=True)
    unit = client.post(url, {"name": "Panic attacks", "unit": "u" * 61}, follow=True)

    # Then each is refused with a message naming the field, and nothing is stored cut short
    for response in (first, second):
        assert response.status_code == 400
        assert "Keep the name to 120 characters or fewer." in response.content.decode()
        # what they typed is still in the form, the field marked
        assert f'value="{long_name}" aria-invalid="true"' in response.content.decode()
    assert "Keep the unit to 60 characters or fewer." in unit.content.decode()
    assert 'value="Panic attacks"' in unit.content.decode()
    assert not SymptomTracker.objects.exists()


def test_a_refused_value_or_review_comes_back_with_what_was_typed(client):
    # Given a clinician with a tracker on the client's page
    world = MeasuresWorld()
    client.force_login(world.prescriber)
    tracker = actions.define_tracker(
        actor=world.prescriber, client=world.client, name="Panic attacks", unit="per week"
    )
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    long_review = "Consider a slower titration. " * 200

    # When they enter tomorrow's value, and a review longer than a page
    value = client.post(
        reverse("measures:tracker_entry", args=[tracker.public_id]),
        {"value": "3", "recorded_on": tomorrow},
    )
    review = client.post(
        reverse("measures:review", args=[world.client.public_id]),
        {"recommendations": long_review},
    )

    # Then each is refused on the page, naming the field, with the typed input kept
    assert value.status_code == 400
    body = value.content.decode()
    assert "Date: not in the future." in body
    assert 'name="value" value="3"' in body
    assert f'name="recorded_on" value="{tomorrow}" aria-invalid="true"' in body
    assert review.status_code == 400
    body = review.content.decode()
    assert (
        f"Recommendations: at most 5,000 characters (this has {len(long_review.strip()):,})."
        in body
    )
    assert long_review.strip() in body
    assert not SymptomEntry.objects.exists()
    assert not CaseReview.objects.exists()


def test_a_cadence_for_a_measure_not_offered_comes_back_with_the_days_kept(client):
    world = MeasuresWorld()
    client.force_login(world.prescriber)

    response = client.post(
        reverse("measures:schedule", args=[world.client.public_id]),
        {"instrument": "not-a-measure", "every_days": "21"},
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Measure: choose one from the list." in body
    assert 'name="every_days" min="7" max="91" value="21"' in body
