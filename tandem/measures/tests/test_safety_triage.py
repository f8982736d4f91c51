"""Who is told, when, and what they can open, for each C-SSRS triage level and a blank PHQ-9 item 9.

The Columbia screener's triage: low risk raises nothing, moderate risk asks for
a behavioural-health consult (an urgent alert), high risk takes the emergency
path (an emergency alert). A PHQ-9 whose item 9 is blank is never read as
"Not at all": the clinicians are asked to follow it up.
"""

import uuid

import pytest
from django.urls import reverse

from tandem.care.models import SafetyAlert
from tandem.core.roles import Role
from tandem.core.tests.factories import add_to_care_team, make_staff
from tandem.measures import actions
from tandem.measures.models import QuestionnaireResponse, ResponseSource
from tandem.measures.tests.factories import MeasuresWorld
from tandem.notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db

#: C-SSRS screener answers, in the form's order: 1, 2, 3, 4, 5, 6, 6b.
LOW = [1, 1, 0, 0, 0, 0, None]
MODERATE_METHOD = [1, 1, 1, 0, 0, 0, None]
MODERATE_PAST_BEHAVIOUR = [0, 0, None, None, None, 1, 0]
HIGH_INTENT = [1, 1, 1, 1, 0, 0, None]
HIGH_RECENT_BEHAVIOUR = [0, 0, None, None, None, 1, 1]


class TriageWorld(MeasuresWorld):
    """The measures world plus an on-call prescriber of the psychiatric practice, not on the team."""

    def __init__(self) -> None:
        super().__init__()
        self.on_call = make_staff(Role.PRESCRIBER, self.psychiatry)
        self.on_call.memberships.update(is_on_call=True)

    def cssrs(self, answers: list[int | None]) -> QuestionnaireResponse:
        """Record a C-SSRS screener the therapist administered in session."""
        return actions.record_response(
            self.therapist, self.client, "c-ssrs-screen", answers,
            source=ResponseSource.CLINICIAN, idempotency_key=uuid.uuid4(),
            organisation=self.therapy,
        )  # fmt: skip


def _told(kind: str) -> set[int]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def test_low_risk_raises_no_alert_and_tells_no_one():
    # Given a client whose screener is yes to questions 1 and 2 only (wish to be dead, thoughts)
    world = TriageWorld()

    # When the therapist records it
    response = world.cssrs(LOW)

    # Then it is triaged low, no alert is raised and nobody is paged
    assert (response.band, response.flags) == ("low risk", ["suicide_risk_low"])
    assert response.safety_alert_id is None
    assert not SafetyAlert.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "answers", [MODERATE_METHOD, MODERATE_PAST_BEHAVIOUR], ids=["method", "behaviour-over-3-months"]
)
def test_moderate_risk_raises_an_urgent_consult_alert_to_the_team_and_the_on_call(answers, client):
    # Given a client whose screener is triaged at moderate risk
    world = TriageWorld()

    # When the therapist records it
    response = world.cssrs(answers)

    # Then one urgent (not emergency) questionnaire alert asks for a behavioural-health consult
    alert = SafetyAlert.objects.get(client=world.client)
    assert (alert.level, alert.source) == ("urgent", "questionnaire")
    assert response.safety_alert_id == alert.public_id
    assert alert.summary == (
        "C-SSRS screener triaged at moderate risk: behavioural-health consult needed "
        "(Columbia triage); answered aloud, entered by a clinician."
    )
    # and the prescriber on the team and the practice's on-call prescriber are told, the
    # therapist who entered it is not paged about their own entry, the client never
    assert _told(NotificationKind.SAFETY_ALERT) == {world.prescriber.pk, world.on_call.pk}
    # and a recipient opening the alert sees its level
    client.force_login(world.prescriber)
    page = client.get(reverse("care:alert", args=[alert.public_id])).content.decode()
    assert "<dt>Level</dt><dd>Urgent: needs a response within the hour</dd>" in page
    # while the client cannot open it
    client.force_login(world.client_user)
    assert client.get(reverse("care:alert", args=[alert.public_id])).status_code == 404


@pytest.mark.parametrize(
    "answers", [HIGH_INTENT, HIGH_RECENT_BEHAVIOUR], ids=["intent", "behaviour-past-3-months"]
)
def test_high_risk_takes_the_emergency_path(answers, client):
    # Given a client whose screener is triaged at high risk
    world = TriageWorld()

    # When the therapist records it
    world.cssrs(answers)

    # Then the alert is an emergency, sent to the team's prescriber and the on-call prescriber
    alert = SafetyAlert.objects.get(client=world.client)
    assert (alert.level, alert.source) == ("emergency", "questionnaire")
    assert alert.summary == (
        "C-SSRS screener triaged at high risk: emergency evaluation needed now "
        "(Columbia triage); answered aloud, entered by a clinician."
    )
    assert _told(NotificationKind.SAFETY_ALERT) == {world.prescriber.pk, world.on_call.pk}
    client.force_login(world.on_call)
    page = client.get(reverse("care:alert", args=[alert.public_id])).content.decode()
    assert "<dt>Level</dt><dd>Emergency: immediate danger</dd>" in page


def test_the_response_page_names_the_triage_and_the_alert_level_to_the_clinician(client):
    # Given a moderate-risk screener the therapist recorded
    world = TriageWorld()
    response = world.cssrs(MODERATE_METHOD)

    # When the therapist opens the result
    client.force_login(world.therapist)
    page = client.get(reverse("measures:response", args=[response.public_id])).content.decode()

    # Then it says which triage level was reached and which alert went out
    assert (
        "Columbia triage: moderate risk. An urgent safety alert asking for a "
        "behavioural-health consult was raised to the care team." in page
    )


# --- A blank PHQ-9 item 9 ------------------------------------------------------------------


def test_a_blank_item_9_asks_the_team_to_follow_up_and_is_not_read_as_not_at_all(client):
    # Given a two-way release for questionnaire results between the practices
    world = MeasuresWorld()
    world.release_questionnaires()

    # When the prescriber enters a paper PHQ-9 whose item 9 the client left blank
    response = world.phq9([1, 1, 1, 1, 1, 1, 1, 1, None])

    # Then the total is prorated from the other eight, no alert is raised,
    assert (response.total, response.prorated) == (9, True)
    assert response.flags == ["suicide_item_unanswered"]
    assert not SafetyAlert.objects.exists()
    # and the therapist (the other clinician of the team) is asked to follow it up,
    # with a link to the result and nothing else; the client is not
    note = Notification.objects.get(kind=NotificationKind.QUESTIONNAIRE_FOLLOW_UP)
    assert note.recipient == world.therapist
    assert note.link == reverse("measures:response", args=[response.public_id])
    assert not Notification.objects.filter(
        recipient=world.client_user, kind=NotificationKind.QUESTIONNAIRE_FOLLOW_UP
    ).exists()

    # And the result shows the therapist that item 9 was not answered and asks them to ask
    client.force_login(world.therapist)
    page = client.get(note.link).content.decode()
    assert (
        "<strong>Item 9 not answered.</strong> The client did not answer the question about thoughts of "
        "being better off dead or of self-harm: ask them about it and record the answer. "
        "The total is prorated from the other items and does not count it as “Not at all”." in page
    )
    assert (
        "<td>9. Thoughts that you would be better off dead or of hurting yourself in some way</td><td>not answered</td>"
        in page
    )


def test_a_blank_item_9_shows_in_the_registry_the_chart_table_and_the_timeline(client):
    # Given a PHQ-9 entered with item 9 blank
    world = MeasuresWorld()
    world.phq9([2, 2, 2, 2, 2, 2, 2, 2, None])

    # When the prescriber opens the registry and the client's charts
    client.force_login(world.prescriber)
    registry = client.get(reverse("measures:registry")).content.decode()
    chart = client.get(reverse("measures:client", args=[world.client.public_id])).content.decode()
    timeline = client.get(reverse("care:timeline", args=[world.client.public_id])).content.decode()

    # Then each says item 9 was not answered
    assert "<dt>Safety</dt><dd>Item 9 not answered: follow up</dd>" in timeline
    assert '<span class="tag tag-warn">Item 9 not answered</span>' in registry
    assert (
        "Answered aloud, entered by a clinician (prorated) — item 9 not answered: follow up"
        in chart
    )


def test_a_blank_item_9_without_a_release_is_followed_up_inside_the_practice_only():
    # Given no release between the practices, and a second prescriber on the team at the
    # psychiatric practice
    world = MeasuresWorld()
    colleague = make_staff(Role.PRESCRIBER, world.psychiatry)
    add_to_care_team(world.client, colleague, Role.PRESCRIBER)

    # When the prescriber enters a PHQ-9 with item 9 blank
    world.phq9([0, 0, 0, 0, 0, 0, 0, 0, None])

    # Then only the colleague in the same practice is asked to follow up (the therapist
    # cannot read the result without a release)
    assert _told(NotificationKind.QUESTIONNAIRE_FOLLOW_UP) == {colleague.pk}
