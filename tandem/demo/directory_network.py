"""A synthetic network of psychiatric practices for the directory's scale test and benchmark.

``seed_directory_network(500)`` writes 500 listed practices in bulk (a few statements per
table, whatever the count): each with a referral policy, a directory profile, one
prescriber working weekday mornings, a new-patient visit type, and measured figures.
The mix is deterministic (seeded) and varied: states, coverage, plan types, languages,
telehealth or in person, paused practices, and prescribers away for weeks. All invented.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.db import transaction

from tandem.accounts.models import User
from tandem.core.roles import Role
from tandem.directory.models import Language, PracticeMetrics, PracticeProfile, Specialty
from tandem.organisations.models import Membership, Organisation, OrganisationKind
from tandem.referrals.models import Payer, PlanType, PracticePolicy, Service
from tandem.scheduling.models import AppointmentType, SchedulingSettings, TimeOff, WeeklyHours

STATES = ["MA", "MA", "MA", "NH", "RI", "CT", "NY", "VT", "ME"]


@transaction.atomic
def seed_directory_network(
    count: int, *, now: dt.datetime, tag: str = "net", seed: int = 14
) -> list[Organisation]:
    """Create ``count`` listed synthetic practices and return them."""
    rng = random.Random(seed)
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                kind=OrganisationKind.PSYCHIATRIC_PRACTICE,
                name=f"Network Psychiatry {tag}-{n:04d} (synthetic)",
                state=(state := rng.choice(STATES)),
                city="Springfield",
                address_line=f"{n} Main Street",
                telehealth_states=[state],
                holiday_subdivision=state,
            )
            for n in range(1, count + 1)
        ]
    )
    if any(o.pk is None for o in orgs):  # backends that return no ids from bulk_create
        orgs = list(Organisation.objects.filter(name__contains=f" {tag}-").order_by("name"))
    password = make_password(None)  # unusable: nobody signs in as these
    users = User.objects.bulk_create(
        [
            User(email=f"network.prescriber.{tag}.{o.pk}@example.invalid", password=password)
            for o in orgs
        ]
    )
    if any(u.pk is None for u in users):
        users = list(
            User.objects.filter(email__startswith=f"network.prescriber.{tag}.").order_by("pk")
        )
    Membership.objects.bulk_create(
        Membership(user=u, organisation=o, role=Role.PRESCRIBER)
        for o, u in zip(orgs, users, strict=True)
    )
    PracticePolicy.objects.bulk_create(
        PracticePolicy(
            organisation=o,
            accepting_new=rng.random() > 0.1,
            min_age=rng.choice([18, 18, 16, 21]),
            max_age=rng.choice([64, 75, 99]),
            visit_states=[o.state],
            payers=rng.sample([p.value for p in Payer], k=rng.randint(1, 4)),
            plan_types=rng.sample(
                [PlanType.PPO.value, PlanType.EPO.value, PlanType.HMO.value], k=2
            ),
            services=rng.sample([s.value for s in Service], k=rng.randint(1, 4)),
        )
        for o in orgs
    )
    PracticeProfile.objects.bulk_create(
        PracticeProfile(
            organisation=o,
            telehealth=(tele := rng.random() > 0.2),
            in_person=not tele or rng.random() > 0.5,
            specialties=rng.sample(Specialty.values, k=3),
            languages=["en", *rng.sample(Language.values[1:], k=rng.randint(0, 2))],
            prescribers=[{"name": f"Prescriber of practice {o.pk}", "credentials": "MD"}],
        )
        for o in orgs
    )
    SchedulingSettings.objects.bulk_create(
        SchedulingSettings(organisation=o, reminder_hours=[48, 2]) for o in orgs
    )
    AppointmentType.objects.bulk_create(
        AppointmentType(
            organisation=o, code="new", name="New patient", duration_minutes=60, is_new_client=True
        )
        for o in orgs
    )
    WeeklyHours.objects.bulk_create(
        WeeklyHours(organisation=o, prescriber=u, weekday=d, starts=dt.time(9), ends=dt.time(12))
        for o, u in zip(orgs, users, strict=True)
        for d in range(5)
    )
    TimeOff.objects.bulk_create(
        TimeOff(
            prescriber=u,
            starts_at=now - dt.timedelta(days=1),
            ends_at=now + dt.timedelta(weeks=rng.choice([2, 5, 9, 30])),
            reason="Away (synthetic)",
        )
        for u in users
        if rng.random() < 0.3
    )
    PracticeMetrics.objects.bulk_create(
        PracticeMetrics(
            organisation=o,
            computed_at=now,
            period_start=now - dt.timedelta(days=90),
            period_end=now,
            response_n=(n := rng.randint(0, 40)),
            response_median_hours=round(rng.uniform(1, 60), 1) if n >= 5 else None,
            response_p90_hours=round(rng.uniform(60, 120), 1) if n >= 5 else None,
            visit_n=n // 2,
            visit_median_days=round(rng.uniform(7, 200), 1) if n // 2 >= 5 else None,
            notes_n=n // 2,
            notes_share=round(rng.uniform(0.3, 1), 3) if n // 2 >= 5 else None,
        )
        for o in orgs
    )
    return orgs
