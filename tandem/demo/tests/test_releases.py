"""The demo's releases cover what the demo shares between practices, but for its deliberate cases.

Whatever a user does on the demo between a therapy practice and a psychiatric practice —
a consult note, a medication change, a check-in, a message, a questionnaire result, a
visit — reaches the other practice for every client in care at both, and every referral
packet the demo sent reaches the practice's prescriber. The deliberate withheld states,
documented in docs/demo.md, are kept: Jordan Ellery's release waits for his signature,
Nadia Fairbanks revoked hers, and the demo releases leave substance use aside.

The demo is seeded once for the module; each test's changes are rolled back after it.
"""

import datetime as dt
import itertools

import pytest
from django.urls import reverse

from tandem.accounts.models import User
from tandem.care import selectors as care_selectors
from tandem.care.medications.actions import record_medication
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.categories import Category, Purpose
from tandem.consent.decision import ConsentContext, Party, decide
from tandem.core.roles import Role
from tandem.referrals import selectors as referral_selectors
from tandem.referrals.models import Referral, ReferralStatus
from tandem.tests.support.demo import seeded_once
from tandem.tests.support.http import Client as WebClient

pytestmark = pytest.mark.django_db

SEEDED_AT = dt.datetime(2026, 11, 30, 14, 0, 5, tzinfo=dt.UTC)
#: What two practices caring for one client share while they work as one team.
SHARED_IN_CARE = (
    Category.DIAGNOSIS,
    Category.TREATMENT_HISTORY,
    Category.MEDICATIONS,
    Category.SAFETY,
    Category.MEDICAL_HISTORY,
    Category.QUESTIONNAIRES,
    Category.ATTENDANCE,
    Category.CONSULT_NOTES,
    Category.PROGRESS_UPDATES,
    Category.CLINICIAN_MESSAGES,
)
#: The demo's deliberate withheld states (docs/demo.md), by client.
WAITING_FOR_SIGNATURE = ("Jordan", "Ellery")
REVOKED = ("Nadia", "Fairbanks")


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    with seeded_once(django_db_blocker, at=SEEDED_AT, keep_clock=True) as world:
        yield world


def _name(client: Client) -> tuple[str, str]:
    return (client.first_name, client.last_name)


def _in_care_at_two_practices() -> dict[Client, list[CareTeamMember]]:
    teams: dict[Client, list[CareTeamMember]] = {}
    for member in CareTeamMember.objects.filter(ended_on__isnull=True).select_related(
        "client", "user"
    ):
        teams.setdefault(member.client, []).append(member)
    return {c: t for c, t in teams.items() if len({m.organisation_id for m in t}) > 1}


def test_every_client_in_care_at_two_practices_is_shared_as_one_team(demo_world):
    teams = _in_care_at_two_practices()
    context = ConsentContext.load([c.pk for c in teams])
    assert len(teams) == 22  # 21 in care at both practices, and the article's case

    for client, team in teams.items():
        for a, b in itertools.permutations(team, 2):
            if a.organisation_id == b.organisation_id:
                continue
            for category in SHARED_IN_CARE:
                decision = decide(
                    context,
                    client_id=client.pk,
                    category=category,
                    source=Party(a.organisation_id, a.user_id),
                    recipient=Party(b.organisation_id, b.user_id),
                    purpose=Purpose.TREATMENT_COORDINATION,
                )
                deliberate = _name(client) in (WAITING_FOR_SIGNATURE, REVOKED)
                assert decision.allowed != deliberate, (_name(client), category, decision.reason)


def test_a_medication_change_reaches_the_therapist_of_every_client_in_care(demo_world):
    for client, team in _in_care_at_two_practices().items():
        if _name(client) in (WAITING_FOR_SIGNATURE, REVOKED):
            continue
        prescriber = next(m.user for m in team if m.role == Role.PRESCRIBER)
        therapist = next(m.user for m in team if m.role == Role.THERAPIST)

        _, result = record_medication(
            actor=prescriber,
            client=client,
            change="start",
            drug="bupropion",
            dose="150",
            unit="mg",
            frequency="once daily in the morning",
        )

        assert [m.user for m in result.delivered] == [therapist], (_name(client), result.held)
        web = WebClient()
        web.force_login(therapist)
        page = web.get(reverse("care:timeline", args=[client.public_id])).content.decode()
        assert "data-withheld" not in page, _name(client)
        assert any(
            i.decision is not None and i.decision.allowed
            for i in care_selectors.timeline(therapist, client, account=False)
        )


def test_every_packet_the_demo_sent_reaches_the_practice_prescriber(demo_world):
    sent = Referral.objects.exclude(status=ReferralStatus.DRAFT).select_related("client")
    assert sent.count() >= 15

    for referral in sent:
        prescriber = (
            User.objects.filter(
                memberships__organisation=referral.to_organisation,
                memberships__role=Role.PRESCRIBER,
                memberships__is_active=True,
            )
            .order_by("pk")
            .first()
        )
        sections = referral_selectors.packet(prescriber, referral, "practice")
        written = [s for s in sections if s.key != "substance_use"]
        if _name(referral.client) == WAITING_FOR_SIGNATURE:
            assert not any(s.shown for s in sections)
            continue
        assert all(s.shown for s in written), (
            _name(referral.client),
            [(s.key, s.decision.reason) for s in written if not s.shown and s.decision],
        )
        # The demo releases leave substance use aside: withheld wherever it was written
        [substance] = [s for s in sections if s.key == "substance_use"]
        assert not substance.shown
