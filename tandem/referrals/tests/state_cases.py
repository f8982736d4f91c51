"""A referral in any state, for the status-table test (``core/tests/test_status_assignments.py``)."""

from typing import Any

from tandem.referrals import states
from tandem.referrals.models import Referral
from tandem.referrals.tests.factories import ReferralWorld


def referral_in(source: str, target: str) -> tuple[Referral, dict[str, Any]]:
    """Return a referral standing in ``source`` and what ``states.move`` needs to reach ``target``."""
    world = ReferralWorld()
    referral = world.start()
    Referral.objects.filter(pk=referral.pk).update(status=source)
    referral.refresh_from_db()
    side = states.TRANSITIONS.get((source, target), states.THERAPIST)
    actor = world.therapist if side == states.THERAPIST else world.coordinator
    return referral, {"actor": actor, "side": side}


#: The states modules of this package (by module name) and how to get a subject for each.
SUBJECTS = {"states": referral_in}
