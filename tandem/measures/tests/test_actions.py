"""Recording responses: scoring, idempotency, audit, safety alerts, consent, cadence."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.consent.actions import revoke_release
from tandem.consent.models import Disclosure
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.measures import actions, safety
from tandem.measures.instruments import ScoringError
from tandem.measures.models import MeasureSchedule, QuestionnaireResponse, ResponseSource
from tandem.measures.selectors import client_measures
from tandem.measures.tests.factories import MeasuresWorld

pytestmark = pytest.mark.django_db


def test_a_response_is_scored_stored_with_its_version_and_audited():
    # Given a client and their prescriber
    world = MeasuresWorld()

    # When the prescriber enters a PHQ-9 given aloud
    response = world.phq9([1, 1, 1, 1, 1, 1, 1, 1, 0])

    # Then the scorer's result is stored with the form's version, who and where
    response.refresh_from_db()
    assert (response.total, response.band, response.positive) == (8, "mild", False)
    assert response.complete is True
    assert response.flags == []
    assert response.instrument_version == "PHQ-9 (Pfizer, 1999)"
    assert response.entered_by == world.prescriber
    assert response.organisation == world.psychiatry
    assert response.source == ResponseSource.CLINICIAN
    # and one audit row names it without any score
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(response.public_id))
    assert event.detail == {"instrument": "phq-9", "source": "clinician"}


def test_a_double_submission_stores_one_response():
    # Given a client answering on the portal
    world = MeasuresWorld()
    key = uuid.uuid4()

    def submit():
        return actions.record_response(
            world.client_user, world.client, "gad-7", [1, 1, 1, 1, 1, 1, 1],
            source=ResponseSource.PORTAL, idempotency_key=key, organisation=world.therapy,
        )  # fmt: skip

    # When the same form is sent twice (double click, retry)
    first, second = submit(), submit()

    # Then one response is stored and both calls return it
    assert first.pk == second.pk
    assert QuestionnaireResponse.objects.filter(client=world.client).count() == 1


def test_bad_answers_are_refused_naming_the_item_and_nothing_is_stored():
    world = MeasuresWorld()
    with pytest.raises(ScoringError) as refused:
        world.phq9([0, 0, 0, 0, 9, 0, 0, 0, 0])
    assert refused.value.field == "responses[4]"
    assert "PHQ-9 item 5" in refused.value.message
    assert not QuestionnaireResponse.objects.exists()


def test_only_the_client_answers_on_the_portal_and_only_the_team_enters_answers():
    world = MeasuresWorld()
    stranger = make_staff(Role.PRESCRIBER)
    with pytest.raises(Forbidden):
        actions.record_response(
            world.therapist, world.client, "phq-9", [0] * 9, source=ResponseSource.PORTAL,
            idempotency_key="a", organisation=world.therapy,
        )  # fmt: skip
    with pytest.raises(Forbidden):
        actions.record_response(
            stranger, world.client, "phq-9", [0] * 9, source=ResponseSource.PAPER,
            idempotency_key="b", organisation=world.psychiatry,
        )  # fmt: skip
    # A team member cannot file answers under another practice's name either.
    with pytest.raises(Forbidden):
        actions.record_response(
            world.therapist, world.client, "phq-9", [0] * 9, source=ResponseSource.PAPER,
            idempotency_key="c", organisation=world.psychiatry,
        )  # fmt: skip
    assert not QuestionnaireResponse.objects.exists()


def test_item_9_above_zero_with_a_total_of_3_raises_a_questionnaire_safety_alert(monkeypatch):
    # Given the alert adapter (tandem.care's raise_safety_alert behind it) is watched
    world = MeasuresWorld()
    calls = []

    class FakeAlert:
        public_id = uuid.UUID("00000000-0000-4000-8000-000000000009")

    def fake_raise(actor, client, level, summary, steps, source="questionnaire", organisation=None):
        calls.append((actor, client, level, summary, steps, source, organisation))
        return FakeAlert()

    monkeypatch.setattr(safety, "_raiser", lambda: fake_raise)

    # When the client answers item 9 "Several days" with a total of 3 on the portal
    response = actions.record_response(
        world.client_user, world.client, "phq-9", [1, 1, 0, 0, 0, 0, 0, 0, 1],
        source=ResponseSource.PORTAL, idempotency_key="k", organisation=world.therapy,
    )  # fmt: skip

    # Then the total is minimal and yet the alert is raised, as a questionnaire alert
    assert (response.total, response.band) == (3, "minimal")
    assert response.flags == ["suicide_item_positive"]
    assert len(calls) == 1
    actor, client, level, summary, steps, source, organisation = calls[0]
    assert (actor, client, level, source, organisation) == (
        world.client_user,
        world.client,
        "concern",
        "questionnaire",
        world.therapy,
    )
    assert summary.startswith("PHQ-9 item 9 (thoughts of being better off dead or of self-harm)")
    assert "“Several days” (1)" in summary
    assert steps == (
        "The client was shown crisis resources (988, 833-773-2445 and 911) on submitting."
    )
    assert response.safety_alert_id == FakeAlert.public_id


def test_no_alert_without_a_suicide_flag(monkeypatch):
    world = MeasuresWorld()
    calls = []
    monkeypatch.setattr(safety, "_raiser", lambda: lambda *a, **k: calls.append(a))
    world.phq9([3, 3, 3, 3, 3, 3, 3, 3, 0])
    assert calls == []


def test_the_real_care_alert_reaches_the_care_team():
    # Given tandem.care is installed in this deployment
    from tandem.care.models import SafetyAlert

    world = MeasuresWorld()

    # When the client answers item 9 "Nearly every day"
    response = actions.record_response(
        world.client_user, world.client, "phq-9", [2, 2, 2, 2, 2, 2, 2, 2, 3],
        source=ResponseSource.PORTAL, idempotency_key="real", organisation=world.therapy,
    )  # fmt: skip

    # Then one urgent questionnaire alert exists for the client
    alert = SafetyAlert.objects.get(client=world.client)
    assert (alert.level, alert.source) == ("urgent", "questionnaire")
    assert response.safety_alert_id == alert.public_id


def test_a_result_is_shared_with_the_other_practice_only_under_a_release():
    # Given a two-way release for questionnaire results between the practices
    world = MeasuresWorld()
    release = world.release_questionnaires()

    # When the therapist enters a PHQ-9, then the client revokes, then another is entered
    before = world.phq9([1] * 9, by=world.therapist, days_ago=7)
    revoke_release(actor=world.client_user, release=release)
    after = world.phq9([2] * 9, by=world.therapist)

    # Then only the first was disclosed (and recorded in the accounting)
    disclosed = set(Disclosure.objects.values_list("object_id", flat=True))
    assert disclosed == {str(before.public_id)}
    # and the prescriber's practice sees the later one as withheld, with the reason
    seen = {s.response.pk: s for s in client_measures(world.prescriber, world.client).responses}
    assert seen[after.pk].shown is False
    assert seen[after.pk].withheld_label == (
        "Withheld — no current release covers questionnaire results. "
        "The client revoked the release."
    )
    # while the practice that collected it keeps and sees both
    mine = {s.response.pk: s for s in client_measures(world.therapist, world.client).responses}
    assert mine[after.pk].shown
    assert mine[before.pk].shown


def test_the_prescriber_sets_a_cadence_and_an_answer_moves_it_on():
    world = MeasuresWorld()
    today = timezone.localdate()
    schedule = actions.set_schedule(
        actor=world.prescriber, client=world.client, instrument="phq-9", every_days="14"
    )
    assert (schedule.next_due, schedule.every_days, schedule.version) == (today, 14, 1)

    world.phq9([0] * 9)

    schedule.refresh_from_db()
    assert schedule.next_due == today + dt.timedelta(days=14)
    assert schedule.version == 2


@pytest.mark.parametrize(
    ("every_days", "message"),
    [
        ("6", "Every how many days: between 7 and 91."),
        ("92", "Every how many days: between 7 and 91."),
        ("two", "Every how many days: a whole number."),
    ],
)
def test_a_cadence_out_of_range_is_refused(every_days, message):
    from django.core.exceptions import ValidationError

    world = MeasuresWorld()
    with pytest.raises(ValidationError) as refused:
        actions.set_schedule(
            actor=world.prescriber, client=world.client, instrument="phq-9", every_days=every_days
        )
    assert refused.value.message_dict == {"every_days": [message]}
    assert not MeasureSchedule.objects.exists()


def test_a_cadence_for_an_unknown_measure_is_refused_naming_the_field():
    from django.core.exceptions import ValidationError

    world = MeasuresWorld()
    with pytest.raises(ValidationError) as refused:
        actions.set_schedule(
            actor=world.prescriber, client=world.client, instrument="phq-99", every_days=14
        )
    assert refused.value.message_dict == {"instrument": ["Measure: choose one from the list."]}
    assert not MeasureSchedule.objects.exists()


def test_only_the_prescriber_sets_the_cadence():
    world = MeasuresWorld()
    with pytest.raises(Forbidden):
        actions.set_schedule(
            actor=world.therapist, client=world.client, instrument="phq-9", every_days=14
        )


def test_the_reminder_tells_the_client_once_without_details_and_stands_down_after_a_change():
    from tandem.measures.tasks import remind_measure_due
    from tandem.notifications.models import Notification

    world = MeasuresWorld()
    schedule = actions.set_schedule(
        actor=world.prescriber, client=world.client, instrument="gad-7", every_days=14
    )

    # When the reminder runs twice on the due day
    assert remind_measure_due.call(schedule.pk, schedule.version) is True
    assert remind_measure_due.call(schedule.pk, schedule.version) is False

    # Then the client was told once, with a link to their questionnaires that names nothing
    note = Notification.objects.get(recipient=world.client_user)
    assert note.link == "/measures/"
    # and a reminder of an older plan does nothing
    actions.set_schedule(
        actor=world.prescriber, client=world.client, instrument="gad-7", every_days=21
    )
    assert remind_measure_due.call(schedule.pk, schedule.version) is False


# --- Case reviews through the consent decision point -------------------------------------


def test_a_case_review_is_disclosed_to_the_other_practice_under_a_release_for_consult_notes(
    client,
):
    from django.urls import reverse

    from tandem.consent.categories import Category, Purpose
    from tandem.notifications.models import Notification

    # Given a release covering consultation notes between the two practices
    world = MeasuresWorld()
    release = world.release_questionnaires(categories=[Category.CONSULT_NOTES])

    # When the prescriber records a case review
    review = actions.record_case_review(
        actor=world.prescriber, client=world.client, recommendations="Raise sertraline to 100 mg."
    )

    # Then one disclosure to the therapist is recorded, as a consultation note for treatment
    disclosure = Disclosure.objects.get(client=world.client)
    assert disclosure.object_id == str(review.public_id)
    assert disclosure.object_type == "measures.casereview"
    assert disclosure.category == Category.CONSULT_NOTES
    assert disclosure.purpose == Purpose.TREATMENT_COORDINATION
    assert disclosure.description == "Case review recommendations"
    assert (disclosure.recipient_user, disclosure.recipient_organisation) == (
        world.therapist,
        world.therapy,
    )
    assert disclosure.source_organisation == world.psychiatry
    assert disclosure.release == release
    assert disclosure.disclosed_by == world.prescriber
    # and audited as a disclosure (the review's own creation row as well)
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.DISCLOSE, object_id=str(disclosure.public_id)
        ).count()
        == 1
    )
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.CREATE, object_id=str(review.public_id)
        ).count()
        == 1
    )
    # and the therapist is told
    link = reverse("measures:client", kwargs={"client_id": world.client.public_id}) + "#reviews"
    assert Notification.objects.filter(recipient=world.therapist, link=link).count() == 1
    # and the client's accounting of disclosures lists it
    client.force_login(world.client_user)
    page = client.get(reverse("consent:disclosures")).content.decode()
    assert f'<tr data-disclosure="{disclosure.public_id}">' in page
    assert "Case review recommendations" in page


def test_a_case_review_without_a_release_is_stored_but_not_disclosed_nor_announced():
    from django.urls import reverse

    from tandem.consent.categories import Category
    from tandem.measures.models import CaseReview
    from tandem.notifications.models import Notification

    # Given a release for questionnaire results only (consultation notes left out)
    world = MeasuresWorld()
    world.release_questionnaires(categories=[Category.QUESTIONNAIRES])
    colleague = make_staff(Role.COORDINATOR, world.psychiatry)
    from tandem.core.tests.factories import add_to_care_team

    add_to_care_team(world.client, colleague, Role.COORDINATOR)

    # When the prescriber records a case review
    review = actions.record_case_review(
        actor=world.prescriber, client=world.client, recommendations="Order a sleep study."
    )

    # Then the review is stored with the prescriber's practice
    assert list(CaseReview.objects.values_list("pk", "organisation")) == [
        (review.pk, world.psychiatry.pk)
    ]
    # and nothing was disclosed, so the accounting stays empty and no DISCLOSE row exists
    assert not Disclosure.objects.filter(client=world.client).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSE).exists()
    # and only the prescriber's own practice is told (no note pointing at a withheld item)
    link = reverse("measures:client", kwargs={"client_id": world.client.public_id}) + "#reviews"
    assert Notification.objects.filter(recipient=world.therapist, link=link).count() == 0
    assert Notification.objects.filter(recipient=colleague, link=link).count() == 1


def test_case_reviews_are_shared_and_judged_under_the_timelines_category():
    from tandem.measures.timeline import CASE_REVIEW_CATEGORY as TIMELINE_CATEGORY

    assert actions.CASE_REVIEW_CATEGORY == TIMELINE_CATEGORY
