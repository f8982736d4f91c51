"""``manage.py seed_scale``: a network at the size of a real one, built fast and still valid.

Run at a tiny size here (the same code path: COPY on PostgreSQL, INSERT on SQLite);
the full size is timed by hand (docs/performance.md), never in a test.
"""

from __future__ import annotations

from io import StringIO

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as WebClient
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.models import AuditChainHead, AuditEvent, AuditEventClient
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.actions import render_release_text
from tandem.consent.models import Release, ReleaseStatus
from tandem.core.roles import Role
from tandem.demo import practice as demo
from tandem.demo import scale
from tandem.measures.instruments import INSTRUMENTS
from tandem.measures.models import QuestionnaireResponse
from tandem.organisations.models import Membership, Organisation, OrganisationKind
from tandem.referrals import states
from tandem.referrals.models import Referral, ReferralEvent, ReferralStatus

pytestmark = pytest.mark.django_db

TINY = {
    "practices": 2,
    "therapists": 4,
    "clients": 30,
    "referrals": 60,
    "responses": 300,
    "audit": 400,
}


def seed(**options: object) -> str:
    out = StringIO()
    with override_settings(DEMO_MODE=True):
        call_command("seed_scale", **{**TINY, **options}, stdout=out)
    return out.getvalue()


def test_it_builds_the_promised_number_of_each_thing():
    seed()

    practices = Organisation.objects.filter(kind=OrganisationKind.PSYCHIATRIC_PRACTICE)
    assert practices.count() == 2
    therapists = Membership.objects.filter(role=Role.THERAPIST)
    assert therapists.count() == 4
    # Therapy practices of 1, 1 and 2 therapists for four therapists.
    assert Organisation.objects.filter(kind=OrganisationKind.THERAPY_PRACTICE).count() == 3
    for practice in practices:
        roles = list(
            Membership.objects.filter(organisation=practice).values_list("role", flat=True)
        )
        assert sorted(roles) == sorted(
            [Role.PRESCRIBER] * 4 + [Role.COORDINATOR] * 3 + [Role.PRACTICE_ADMIN]
        )
    assert Client.objects.count() == 30
    assert Referral.objects.count() == 60
    assert QuestionnaireResponse.objects.count() == 300
    assert AuditEvent.objects.count() == 400
    assert User.objects.count() == 2 * 8 + 4


def test_every_referral_status_appears_with_the_history_that_leads_to_it():
    seed()

    assert set(Referral.objects.values_list("status", flat=True)) == set(ReferralStatus.values)
    for referral in Referral.objects.prefetch_related("events"):
        steps = [(e.from_status, e.to_status) for e in referral.events.all()]
        assert steps[0] == ("", ReferralStatus.DRAFT)
        assert steps[-1][1] == referral.status
        for move in steps[1:]:
            assert move in states.TRANSITIONS, f"{referral.status}: {move} is not a move"
        assert referral.version == len(steps)
        sent = referral.status != ReferralStatus.DRAFT
        assert (referral.sent_at is not None) == sent
        assert (referral.due_at is not None) == sent
    assert ReferralEvent.objects.count() > Referral.objects.count()


def test_the_audit_chain_it_writes_verifies_and_its_head_is_signed():
    seed()

    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "Audit chain intact: 400 events verified." in out.getvalue()
    # One chain per practice, as the app appends: nothing on the legacy chain, each
    # practice's events on its own head, numbered within it
    heads = {h.name: h for h in AuditChainHead.objects.exclude(name="")}
    psychiatric = Organisation.objects.filter(kind=OrganisationKind.PSYCHIATRIC_PRACTICE)
    practices = {str(o.public_id) for o in psychiatric}
    assert set(heads) == practices
    assert not AuditEvent.objects.filter(chain=1).exists()
    for name, head in heads.items():
        mine = AuditEvent.objects.filter(chain=head.pk)
        assert head.last_seq == mine.count() > 0
        assert set(mine.values_list("organisation_id", flat=True)) == {name}
    assert sum(h.last_seq for h in heads.values()) == 400
    # The list reads index the clients they name, as audit.actions.record does.
    assert AuditEventClient.objects.exists()


def test_every_login_has_a_verified_email_the_demo_password_and_totp():
    seed()

    for user in User.objects.all():
        assert user.email.endswith("@" + demo.DEMO_EMAIL_DOMAIN)
        assert user.check_password(demo.DEMO_PASSWORD)
        assert EmailAddress.objects.filter(user=user, verified=True, primary=True).exists()
        totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        assert totp.wrap().instance.data["secret"]  # allauth reads it back
        assert demo.current_code(user) is not None


def test_clients_in_care_have_a_team_and_a_signed_release_with_the_text_the_app_renders():
    seed()

    in_care = Referral.objects.filter(
        status__in=[
            ReferralStatus.ACCEPTED,
            ReferralStatus.SCHEDULED,
            ReferralStatus.CLOSED,
        ]
    ).values_list("client_id", flat=True)
    assert in_care
    for client_id in in_care:
        roles = set(
            CareTeamMember.objects.filter(client_id=client_id).values_list("role", flat=True)
        )
        assert roles == {Role.THERAPIST, Role.PRESCRIBER, Role.COORDINATOR}
        release = Release.objects.get(client_id=client_id)
        assert release.status == ReleaseStatus.SIGNED
        assert release.signed_text == render_release_text(release)
    # Every client has exactly one primary therapist.
    assert (
        CareTeamMember.objects.filter(is_primary_therapist=True).count() == Client.objects.count()
    )


def test_responses_are_scored_as_the_instruments_score_them():
    seed()

    for response in QuestionnaireResponse.objects.all():
        result = INSTRUMENTS[response.instrument].score(response.answers)
        assert (response.total, response.band, response.positive) == (
            result.total,
            result.band or "",
            result.positive,
        )
        assert response.instrument_version == INSTRUMENTS[response.instrument].version
    assert set(QuestionnaireResponse.objects.values_list("instrument", flat=True)) == {
        "phq-9",
        "gad-7",
    }


def test_the_app_keeps_numbering_rows_after_the_seeded_ones():
    seed()

    client = Client.objects.create(first_name="After", last_name="Seed", date_of_birth="1990-01-01")
    assert client.pk > max(Client.objects.exclude(pk=client.pk).values_list("pk", flat=True))


def _sign_in(browser: WebClient, user: User) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        after_password = browser.post(
            reverse("account_login"), {"login": user.email, "password": demo.DEMO_PASSWORD}
        )
        assert after_password.url == reverse("mfa_authenticate")
        current = demo.current_code(user)
        assert current is not None
        after_code = browser.post(reverse("mfa_authenticate"), {"code": current.code})
        assert after_code.status_code == 302, after_code.content.decode()[:500]


def test_seeded_staff_sign_in_with_password_and_code_and_open_their_pages():
    seed()
    first = Organisation.objects.get(name="Scale Psychiatry 1 (synthetic)")
    referral = Referral.objects.filter(to_organisation=first).exclude(status="draft").first()
    assert referral is not None
    prescriber = User.objects.get(email=scale.email("prescriber", 1, 1))
    coordinator = User.objects.get(email=scale.email("coordinator", 1, 1))
    admin = User.objects.get(email=scale.email("admin", 1, 1))
    therapist = referral.therapist
    pages = {
        prescriber: [reverse("core:dashboard"), reverse("measures:registry")],
        coordinator: [
            reverse("referrals:inbox"),
            reverse("referrals:detail", args=[referral.public_id]),
        ],
        therapist: [
            reverse("referrals:tracker"),
            reverse("care:timeline", args=[referral.client.public_id]),
        ],
        admin: [reverse("audit:search")],
    }
    for user, urls in pages.items():
        browser = WebClient()
        _sign_in(browser, user)
        for url in urls:
            response = browser.get(url)
            assert response.status_code == 200, f"{user.email} {url}"


def test_it_refuses_outside_a_demo_or_bench_configuration():
    with (
        override_settings(DEMO_MODE=False, TANDEM_BENCH=False),
        pytest.raises(CommandError, match="demo or bench configuration"),
    ):
        call_command("seed_scale", **TINY, stdout=StringIO())
    assert not User.objects.exists()


def test_it_refuses_a_database_with_people_unless_asked_to_append():
    seed()

    with pytest.raises(CommandError, match="--append"):
        seed()
    seed(append=True)

    assert Client.objects.count() == 60
    assert User.objects.count() == 2 * (2 * 8 + 4)
    call_command("verify_audit", stdout=StringIO())
    assert sum(AuditChainHead.objects.values_list("last_seq", flat=True)) == 800
    psychiatric = Organisation.objects.filter(kind=OrganisationKind.PSYCHIATRIC_PRACTICE)
    assert AuditChainHead.objects.exclude(name="").count() == psychiatric.count() == 4


def test_scale_keeps_the_full_networks_proportions():
    tenth = scale.FULL.scaled(0.1)

    assert tenth == scale.Sizes(
        practices=2,
        therapists=50,
        clients=5_000,
        referrals=10_000,
        responses=100_000,
        audit=200_000,
    )
