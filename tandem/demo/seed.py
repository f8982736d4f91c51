"""Every step of the demo, in order, and ``seed_demo`` that runs them in one transaction.

The order matters: people first (practices, staff, clients), then releases
(referral packets need them), referrals, booking, the on-call rota, and the
article's measures case.
Domain apps do not know the demo exists: new steps are listed here.
"""

from __future__ import annotations

from django.db import transaction

from tandem.demo import booking, consent, crisis, directory, measures, practice, referrals, today
from tandem.demo.practice import DemoWorld, SeedStep

SEED_STEPS: list[SeedStep] = [
    practice.seed_organisations,
    practice.seed_staff,
    practice.seed_clients,
    consent.seed_releases,
    referrals.seed_practice_policies,
    referrals.seed_referrals,
    booking.seed_booking,
    crisis.seed_rota,
    measures.seed_measures_case,
    today.seed_todays_work,
    directory.seed_directory,
]


def seed_demo() -> DemoWorld:
    """Build (or bring up to date) the demo world and return what was created or changed."""
    world = DemoWorld()
    with transaction.atomic():
        for step in SEED_STEPS:
            step(world)
    return world
