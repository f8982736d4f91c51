"""Revocation racing a disclosure, on PostgreSQL with two real connections.

The disclosure must either happen before the revocation or not at all.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from tandem.consent import actions
from tandem.consent.categories import Category, Purpose
from tandem.consent.decision import Party, Reason
from tandem.consent.models import Disclosure, Release, ReleaseStatus
from tandem.consent.tests.factories import World
from tandem.tests.support.race import all_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _disclose(world):
    return actions.disclose(
        actor=world.therapist,
        client=world.client,
        category=Category.DIAGNOSIS,
        source=Party(world.therapy.pk, world.therapist.pk),
        recipient=Party(world.psychiatry.pk, world.prescriber.pk),
        purpose=Purpose.TREATMENT_COORDINATION,
        description="Diagnosis for the referral",
    )


def _in_thread(fn):
    """Run ``fn`` on its own database connection; return (thread, result holder)."""
    result: dict[str, object] = {}

    def run():
        try:
            result["value"] = fn()
        except Exception as error:  # surfaced by the assertions below
            result["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_revocation_waits_for_a_disclosure_in_progress():
    world = World()
    release = world.signed()
    holding = threading.Event()
    finish = threading.Event()

    def disclose_slowly():
        with transaction.atomic():
            decision = _disclose(world)  # takes the release locks
            holding.set()
            finish.wait(5)
            return decision

    discloser, disclosed = _in_thread(disclose_slowly)
    assert holding.wait(5)
    revoker, revoked = _in_thread(
        lambda: actions.revoke_release(actor=world.client_user, release=release)
    )
    time.sleep(0.5)
    assert revoker.is_alive(), "revocation must wait for the disclosure's transaction"
    finish.set()
    discloser.join(5)
    revoker.join(5)

    assert disclosed["value"].allowed
    assert "error" not in revoked
    assert Release.objects.get(pk=release.pk).status == ReleaseStatus.REVOKED
    assert Disclosure.objects.count() == 1


def test_disclosure_after_a_committed_revocation_is_refused():
    world = World()
    release = world.signed()
    holding = threading.Event()
    finish = threading.Event()

    def revoke_slowly():
        with transaction.atomic():
            actions.revoke_release(actor=world.client_user, release=release)
            holding.set()
            finish.wait(5)

    revoker, _ = _in_thread(revoke_slowly)
    assert holding.wait(5)
    discloser, disclosed = _in_thread(lambda: _disclose(world))
    time.sleep(0.5)
    assert discloser.is_alive(), "the disclosure must wait for the revocation's transaction"
    finish.set()
    revoker.join(5)
    discloser.join(5)

    decision = disclosed["value"]
    assert (decision.allowed, decision.reason) == (False, Reason.REVOKED)
    assert Disclosure.objects.count() == 0


ROUNDS = 30


def test_revoking_while_disclosing_never_deadlocks_and_one_of_them_wins_cleanly():
    """Given a signed release, when the client revokes it at the very moment a disclosure is
    made under it (many times over, in parallel on two connections), then neither fails and
    the disclosure either happened before the revocation or was refused."""
    for round_no in range(ROUNDS):
        world = World()
        release = world.signed()
        revoked, disclosed = all_at_once(
            lambda world=world, release=release: actions.revoke_release(
                actor=world.client_user, release=release
            ),
            lambda world=world: _disclose(world),
        )

        assert revoked.error is None, f"round {round_no}: revoke failed: {revoked.error!r}"
        assert disclosed.error is None, f"round {round_no}: disclose failed: {disclosed.error!r}"
        release.refresh_from_db()
        assert release.status == ReleaseStatus.REVOKED
        made = list(Disclosure.objects.filter(client=world.client))
        decision = disclosed.value
        if decision.allowed:
            assert decision.reason == Reason.ALLOWED_BY_RELEASE
            assert len(made) == 1
            assert made[0].disclosed_at <= release.revoked_at
        else:
            assert decision.reason == Reason.REVOKED
            assert made == []
