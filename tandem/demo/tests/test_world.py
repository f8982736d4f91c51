"""The synthetic demo world and the demo-only commands that print its logins and codes.

Every test here only reads the demo, so it is seeded once for the module (at the
instant ``frozen_clock`` stops at); seeding itself is tested in test_seed_demo.py.
"""

import datetime as dt
import re
from io import StringIO

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as WebClient
from django.test import override_settings
from django.urls import reverse

from tandem.accounts.models import ClinicianProfile, User
from tandem.audit.models import AuditEvent
from tandem.clients.models import CareTeamMember, Client
from tandem.core.roles import STAFF_ROLES, Role
from tandem.demo import practice as demo
from tandem.organisations.models import Membership, Organisation, OrganisationKind
from tandem.tests.support.demo import seeded_once

pytestmark = pytest.mark.django_db

THERAPIST_EMAIL = "maya.brennan@demo.tandem.test"
SEEDED_AT = dt.datetime(2026, 11, 30, 14, 0, 5, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    """The demo, seeded once for every test of this module and rolled back after them."""
    with seeded_once(django_db_blocker, at=SEEDED_AT) as world:
        yield world


@pytest.fixture
def frozen_clock():
    """Stop the clock mid-period, so a code printed now is still the valid one when checked."""
    with time_machine.travel(SEEDED_AT, tick=False):
        yield


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def test_seed_builds_the_world_the_issue_describes(demo_world):
    psychiatric = Organisation.objects.filter(kind=OrganisationKind.PSYCHIATRIC_PRACTICE)
    therapy = Organisation.objects.filter(kind=OrganisationKind.THERAPY_PRACTICE)
    assert sorted(psychiatric.values_list("name", flat=True)) == [
        "Harborlight Psychiatry",
        "Quinsigamond Behavioral Health Group",
    ]
    assert therapy.count() == 5
    assert set(Organisation.objects.values_list("time_zone", "holiday_subdivision", "state")) == {
        ("America/New_York", "MA", "MA")
    }
    assert all(org.telehealth_states == ["MA"] for org in psychiatric)
    prescribers = Membership.objects.filter(role=Role.PRESCRIBER)
    assert prescribers.count() == 3
    assert set(prescribers.values_list("organisation__kind", flat=True)) == {"psychiatric"}
    assert set(prescribers.values_list("user__clinician_profile__licence_type", flat=True)) == {
        "MD",
        "DO",
        "PMHNP",
    }
    on_call = prescribers.filter(is_on_call=True)
    assert sorted(on_call.values_list("organisation__name", flat=True)) == [
        "Harborlight Psychiatry",
        "Quinsigamond Behavioral Health Group",
    ]
    for org in psychiatric:
        assert org.memberships.filter(role=Role.COORDINATOR).exists()
        assert org.memberships.filter(role=Role.PRACTICE_ADMIN).exists()
    therapists = Membership.objects.filter(role=Role.THERAPIST)
    assert therapists.count() == 8
    assert therapists.values("organisation").distinct().count() == 5
    assert set(therapists.values_list("user__clinician_profile__licence_type", flat=True)) == {
        "LICSW",
        "LMHC",
        "LMFT",
        "PSYCHOLOGIST",
    }
    assert ClinicianProfile.objects.count() == 11
    assert all(p.licence_states == ["MA"] for p in ClinicianProfile.objects.all())


def test_every_client_has_exactly_one_primary_therapist_and_about_half_see_a_prescriber(demo_world):
    clients = Client.objects.all()
    assert clients.count() == 41  # the forty, and the article's case (tandem.demo.measures)
    for client in clients:
        primaries = client.care_team.filter(is_primary_therapist=True, ended_on__isnull=True)
        assert [m.role for m in primaries] == [Role.THERAPIST]
    with_prescriber = clients.filter(care_team__role=Role.PRESCRIBER).distinct()
    with_coordinator = clients.filter(care_team__role=Role.COORDINATOR).distinct()
    assert 16 <= with_prescriber.count() <= 24
    assert set(with_prescriber) == set(with_coordinator)
    for member in CareTeamMember.objects.select_related("organisation"):
        assert Membership.objects.filter(
            user=member.user, organisation=member.organisation, role=member.role
        ).exists()


def test_clients_are_synthetic_mostly_adult_and_mostly_in_massachusetts(demo_world):
    clients = list(Client.objects.all())
    today = dt.date(2026, 11, 30)
    outside = [c for c in clients if not 18 <= _age_on(c.date_of_birth, today) <= 64]
    assert len(outside) == 2
    assert sorted(c.state_of_residence for c in clients if c.state_of_residence != "MA") == [
        "NH",
        "RI",
    ]
    assert all(c.email.endswith(("@example.test", "@demo.tandem.test")) for c in clients)
    assert len({(c.first_name, c.last_name) for c in clients}) == 41
    portal = Client.objects.get(user__isnull=False)
    assert portal.user is not None
    assert portal.user.email == "jordan.ellery@demo.tandem.test"
    assert not portal.user.memberships.exists()


def test_every_staff_account_has_mfa_a_verified_email_and_the_demo_password(demo_world):
    staff = User.objects.filter(memberships__role__in=STAFF_ROLES).distinct()
    assert staff.count() == 16
    for user in staff:
        assert user.email.endswith("@demo.tandem.test")
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        assert TOTP(authenticator).instance.data["secret"]
        assert EmailAddress.objects.filter(
            user=user, email=user.email, verified=True, primary=True
        ).exists()
        assert user.check_password(demo.DEMO_PASSWORD)
        validate_password(demo.DEMO_PASSWORD, user)  # raises if a validator refuses it


def test_totp_secrets_differ_per_account_and_follow_from_the_email(demo_world):
    secrets = {
        a.user.email: a.data["secret"]
        for a in Authenticator.objects.filter(type=Authenticator.Type.TOTP).select_related("user")
    }
    assert len(set(secrets.values())) == len(secrets) == 16
    assert secrets[THERAPIST_EMAIL] == demo.demo_totp_secret(THERAPIST_EMAIL)


@override_settings(DEMO_MODE=True)
def test_printed_code_is_accepted_by_allauth_totp_validation(demo_world, frozen_clock):
    out = StringIO()

    call_command("demo_code", THERAPIST_EMAIL, stdout=out, stderr=StringIO())

    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    authenticator = Authenticator.objects.get(user__email=THERAPIST_EMAIL)
    assert TOTP(authenticator).validate_code(code)


@override_settings(DEMO_MODE=True)
def test_demo_code_refuses_accounts_outside_the_demo_domain(demo_world):
    User.objects.create_user("someone@example.test", "x-unused-password-1")

    with pytest.raises(CommandError, match=r"Only demo accounts \(@demo.tandem.test\)"):
        call_command("demo_code", "someone@example.test", stdout=StringIO())
    with pytest.raises(CommandError, match="No demo account uses that email"):
        call_command("demo_code", "nobody@demo.tandem.test", stdout=StringIO())


@override_settings(DEMO_MODE=True)
def test_demo_code_for_the_portal_client_says_no_code_is_needed(demo_world):
    out = StringIO()

    call_command("demo_code", "jordan.ellery@demo.tandem.test", stdout=out)

    assert out.getvalue() == (
        "That account has no one-time codes: sign in with the password only.\n"
    )


@override_settings(DEBUG=True, DEMO_MODE=True, MFA_TOTP_INSECURE_BYPASS_CODE="246810")
def test_demo_logins_names_the_fixed_demo_code_that_stays_usable(demo_world):
    out = StringIO()

    call_command("demo_logins", stdout=out)

    assert "accepts the fixed code 246810 for every account, at any time" in out.getvalue()


@override_settings(DEMO_MODE=True, TANDEM_BASE_URL="http://127.0.0.1:8102")
def test_demo_logins_prints_url_password_every_role_and_current_codes(demo_world, frozen_clock):
    out = StringIO()

    call_command("demo_logins", stdout=out)

    text = out.getvalue()
    # The address actually served (TANDEM_ADDR, through TANDEM_BASE_URL), not port 8000.
    assert "Tandem demo: http://127.0.0.1:8102" in text
    assert "Password for every demo account: tandem-demo-2026" in text
    assert "manage.py demo_code EMAIL" in text
    assert "Real codes change every 30 seconds" in text
    assert "fixed code" not in text  # none is set here
    therapist_line = next(line for line in text.splitlines() if "Therapist    " in line)
    match = re.search(r"maya\.brennan@demo\.tandem\.test\s+(\d{6})  \(for 25 s\)$", therapist_line)
    assert match is not None
    assert TOTP(Authenticator.objects.get(user__email=THERAPIST_EMAIL)).validate_code(
        match.group(1)
    )
    for role, email in [
        ("Therapist", "maya.brennan@demo.tandem.test"),
        ("Prescriber", "elena.marsh@demo.tandem.test"),
        ("Coordinator", "priya.raman@demo.tandem.test"),
        ("Practice admin", "grace.whitcombe@demo.tandem.test"),
        ("Client", "jordan.ellery@demo.tandem.test"),
    ]:
        assert re.search(rf"^  {role}\s+{re.escape(email)}  ", text, re.MULTILINE), role
    for user in User.objects.filter(email__endswith="@demo.tandem.test"):
        assert user.email in text


@pytest.mark.parametrize("args", [("seed_demo",), ("demo_logins",), ("demo_code", THERAPIST_EMAIL)])
@override_settings(DEMO_MODE=False)
def test_demo_commands_refuse_outside_the_demo_configuration(demo_world, args):
    out = StringIO()
    audit_rows = AuditEvent.objects.count()

    with pytest.raises(CommandError, match="only in the demo configuration"):
        call_command(*args, stdout=out, stderr=out)

    assert out.getvalue() == ""
    assert AuditEvent.objects.count() == audit_rows


def test_demo_therapist_signs_in_with_password_and_code_and_sees_their_caseload(
    demo_world, frozen_clock
):
    therapist = User.objects.get(email=THERAPIST_EMAIL)
    caseload = Client.objects.filter(care_team__user=therapist).order_by("last_name")
    browser = WebClient()

    after_password = browser.post(
        reverse("account_login"), {"login": THERAPIST_EMAIL, "password": demo.DEMO_PASSWORD}
    )
    assert after_password.status_code == 302
    assert after_password.url == reverse("mfa_authenticate")
    current = demo.current_code(therapist)
    assert current is not None
    after_code = browser.post(reverse("mfa_authenticate"), {"code": current.code})
    assert after_code.status_code == 302
    assert after_code.url == reverse("core:dashboard")
    dashboard = browser.get(reverse("core:dashboard"))
    listing = browser.get(reverse("clients:list"))

    assert dashboard.status_code == 200
    assert "<h1>Hello, Maya Brennan</h1>" in dashboard.content.decode()
    assert f"Your clients ({caseload.count()})" in dashboard.content.decode()
    assert caseload.count() == 5
    page = listing.content.decode()
    for client in caseload:
        assert f"{client.last_name}, {client.first_name}" in page
    other = Client.objects.exclude(care_team__user=therapist).first()
    assert other is not None
    assert f"{other.last_name}, {other.first_name}" not in page
