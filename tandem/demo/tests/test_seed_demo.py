"""Seeding the demo world: idempotent, repairing, bounded, and refused outside the demo.

The tests that only read the seeded world are in test_world.py (seeded once for the module);
these need an empty database or test seeding itself, so each seeds for itself.
"""

import datetime as dt
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tandem.accounts.models import ClinicianProfile, User
from tandem.audit.models import AuditEvent
from tandem.clients.models import CareTeamMember, Client
from tandem.core.roles import Role
from tandem.demo import practice as demo
from tandem.demo import seed
from tandem.organisations.models import Membership, Organisation

pytestmark = pytest.mark.django_db

THERAPIST_EMAIL = "maya.brennan@demo.tandem.test"


def _snapshot() -> dict[str, object]:
    return {
        "organisations": sorted(Organisation.objects.values_list("public_id", flat=True)),
        "users": sorted(User.objects.values_list("public_id", flat=True)),
        "clients": sorted(Client.objects.values_list("public_id", flat=True)),
        "memberships": sorted(Membership.objects.values_list("public_id", flat=True)),
        "care_team": sorted(CareTeamMember.objects.values_list("pk", flat=True)),
        "profiles": ClinicianProfile.objects.count(),
        "authenticators": sorted(Authenticator.objects.values_list("pk", "data")),
        "emails": sorted(EmailAddress.objects.values_list("pk", "verified", "primary")),
        "passwords": sorted(User.objects.values_list("pk", "password")),
        "audit_rows": AuditEvent.objects.count(),
    }


def test_names_are_the_same_on_every_machine():
    first = [(s.first_name, s.last_name, s.date_of_birth) for s in demo.client_specs()]
    second = [(s.first_name, s.last_name, s.date_of_birth) for s in demo.client_specs()]

    assert first == second
    assert first[0] == ("Jordan", "Ellery", dt.date(1991, 8, 14))


def test_second_run_changes_nothing_and_duplicates_nothing():
    seed.seed_demo()
    before = _snapshot()

    world = seed.seed_demo()

    assert world.created == {}
    assert world.changed == {}
    assert _snapshot() == before
    assert Client.objects.count() == 41
    assert User.objects.count() == 17


def test_second_run_repairs_what_was_changed_by_hand():
    seed.seed_demo()
    therapist = User.objects.get(email=THERAPIST_EMAIL)
    Membership.objects.filter(user=therapist, role=Role.THERAPIST).update(is_active=False)
    Organisation.objects.filter(name="Harborlight Psychiatry").update(telehealth_states=[])

    world = seed.seed_demo()

    assert world.changed == {"organisations": 1, "memberships": 1}
    assert Membership.objects.get(user=therapist, role=Role.THERAPIST).is_active
    assert Organisation.objects.get(name="Harborlight Psychiatry").telehealth_states == ["MA"]


def test_a_later_domain_adds_its_own_step_and_sees_the_world_built_so_far(monkeypatch):
    seen: dict[str, int] = {}

    def seed_extra(world: demo.DemoWorld) -> None:
        seen["clients"] = len(world.clients)
        seen["users"] = len(world.users)

    monkeypatch.setattr(seed, "SEED_STEPS", [*seed.SEED_STEPS, seed_extra])

    seed.seed_demo()

    assert seen == {"clients": 40, "users": 17}


def test_seeding_costs_a_bounded_number_of_queries_and_reseeding_little():
    # Cost is counted in SQL queries, not seconds (machines are shared and slow): the demo
    # is a fixed world, so building it has a fixed cost, and bringing an up-to-date demo
    # up to date again only checks what is there (about 4,200 and 250 queries today: a signed
    # release for every client in care and every client referred, the on-call rota, and
    # today's work, whose reseed adds two lookups: the visit of the day and the note).
    with CaptureQueriesContext(connection) as first:
        seed.seed_demo()
    with CaptureQueriesContext(connection) as second:
        seed.seed_demo()

    assert len(first) < 4600
    assert len(second) < 260


@override_settings(DEMO_MODE=True)
def test_demo_logins_before_seeding_says_to_seed():
    with pytest.raises(CommandError, match=r"run 'manage\.py seed_demo' first"):
        call_command("demo_logins", stdout=StringIO())


@override_settings(DEMO_MODE=False)
def test_seed_demo_command_creates_nothing_outside_the_demo_configuration():
    with pytest.raises(CommandError, match="only in the demo configuration"):
        call_command("seed_demo", stdout=StringIO())

    assert not User.objects.exists()
    assert not Organisation.objects.exists()


@override_settings(DEMO_MODE=True)
def test_seed_demo_command_reports_then_says_up_to_date_and_audit_chain_verifies():
    first, second, verified = StringIO(), StringIO(), StringIO()

    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    call_command("verify_audit", stdout=verified)

    assert first.getvalue().startswith("Demo world ready: 7 organisations created, 17 users")
    assert second.getvalue() == "Demo world already up to date.\n"
    assert "Audit chain intact" in verified.getvalue()
    # The seed records what the real actions would: roles granted, TOTP added, clients created,
    # and (from the apps' own demo steps) releases signed and referrals moved along the loop;
    # today's work shares a medication change and a check-in answer under the releases.
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "permission_granted",
        "mfa_added",
        "create",
        "update",
        "disclose",
    }
    assert AuditEvent.objects.filter(action="create", object_type="clients.client").count() == 40
