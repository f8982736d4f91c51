"""A synthetic network of psychiatric practices for the directory's tests (all data invented)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tandem.core.roles import Role
from tandem.core.tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tandem.directory.models import PracticeProfile
from tandem.organisations.models import Organisation
from tandem.referrals.models import Payer, PlanType, PracticePolicy, Service
from tandem.scheduling.models import AppointmentType, SchedulingSettings, TimeOff, WeeklyHours

POLICY: dict[str, Any] = {
    "min_age": 18,
    "max_age": 64,
    "visit_states": ["MA"],
    "payers": [Payer.COMMERCIAL, Payer.SELF_PAY],
    "plan_types": [PlanType.PPO, PlanType.EPO],
    "services": [s.value for s in Service],
}


def practice(
    name: str,
    *,
    away_weeks: int = 0,
    books: bool = True,
    profile: dict[str, Any] | None = None,
    **policy: Any,
) -> Organisation:
    """Make a listed practice with one prescriber seeing new patients weekday mornings.

    ``away_weeks`` blocks the prescriber's calendar for that many weeks from now (the
    next new-patient slot is then after it); ``books=False`` gives no new-patient visit type.
    """
    org = OrganisationFactory(name=name)
    PracticePolicy.objects.create(organisation=org, **(POLICY | policy))
    PracticeProfile.objects.create(
        organisation=org, **({"telehealth": True, "languages": ["en"]} | (profile or {}))
    )
    prescriber = UserFactory()
    MembershipFactory(user=prescriber, organisation=org, role=Role.PRESCRIBER)
    SchedulingSettings.objects.create(organisation=org, min_notice_hours=24)
    if books:
        AppointmentType.objects.create(
            organisation=org,
            code="new",
            name="New patient",
            duration_minutes=60,
            is_new_client=True,
        )
    for weekday in range(5):
        WeeklyHours.objects.create(
            organisation=org,
            prescriber=prescriber,
            weekday=weekday,
            starts=dt.time(9, 0),
            ends=dt.time(12, 0),
        )
    if away_weeks:
        now = timezone.now()
        TimeOff.objects.create(
            prescriber=prescriber,
            starts_at=now - dt.timedelta(days=1),
            ends_at=now + dt.timedelta(weeks=away_weeks),
        )
    return org
