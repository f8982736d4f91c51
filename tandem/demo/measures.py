"""The article's composite case in the demo: a synthetic client whose measures tell the story.

Wren Halloway (invented), 32, had six months of weekly CBT with Ruth Feldman at
Back Bay Counseling; panic attacks two or three times a week and poor sleep
persisted, so Ruth referred her to Harborlight Psychiatry. Dr Elena Marsh
diagnosed generalized anxiety disorder with panic attacks and started an SSRI
(sertraline), with check-ins every two to three weeks. By week eight the panic
attacks were down to one or two a month. Her GAD-7 and PHQ-9 over twelve weeks,
a "Panic attacks" tracker and an "Hours of sleep" tracker, the sertraline start
and a GAD-7 cadence make that visible on her chart, her registry row and (the
medication start) her care timeline.

Idempotent: every response has a stable idempotency key, entries are one per
day, and the rest is looked up before it is made.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.models import MedicationEvent
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.actions import PartySpec, prepare_release
from tandem.consent.categories import Category, Purpose
from tandem.consent.models import Release
from tandem.core.roles import Role
from tandem.demo.consent import DEMO_CATEGORIES, sign_in_office
from tandem.demo.practice import CLIENT_EMAIL_DOMAIN, DemoWorld, upsert
from tandem.measures.instruments import INSTRUMENTS
from tandem.measures.models import (
    MeasureSchedule,
    QuestionnaireResponse,
    ResponseSource,
    SymptomEntry,
    SymptomTracker,
)

FIRST, LAST = "Wren", "Halloway"
EMAIL = f"wren.halloway@{CLIENT_EMAIL_DOMAIN}"
THERAPIST, PRESCRIBER, COORDINATOR = "ruth.feldman", "elena.marsh", "priya.raman"
#: Weeks before today of the baseline (the first psychiatric visit) and of the SSRI start.
BASELINE_WEEKS_AGO = 12
SSRI_WEEK = 1
#: (week, GAD-7 answers, PHQ-9 answers, entered by): a check-in every two weeks.
SCORES: tuple[tuple[int, list[int], list[int], str], ...] = (
    (0, [3, 2, 3, 2, 2, 2, 2], [1, 1, 3, 2, 1, 1, 1, 1, 0], THERAPIST),  # GAD-7 16, PHQ-9 11
    (2, [2, 2, 3, 2, 2, 2, 2], [1, 1, 3, 2, 1, 1, 1, 0, 0], PRESCRIBER),  # 15, 10
    (4, [2, 2, 2, 2, 2, 2, 1], [1, 1, 2, 2, 1, 1, 1, 0, 0], THERAPIST),  # 13, 9
    (6, [2, 1, 2, 2, 1, 1, 1], [1, 1, 2, 1, 1, 0, 1, 0, 0], PRESCRIBER),  # 10, 7
    (8, [1, 1, 2, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 1, 0, 0], THERAPIST),  # 8, 6
    (10, [1, 1, 1, 1, 1, 0, 1], [1, 0, 1, 1, 1, 0, 1, 0, 0], PRESCRIBER),  # 6, 5
    (12, [1, 1, 1, 1, 0, 0, 1], [0, 0, 1, 1, 1, 0, 1, 0, 0], THERAPIST),  # 5, 4
)
#: Panic attacks in each week, from four weeks before the baseline: two or three a week,
#: then one or two a month from week eight.
PANIC = (3, 2, 3, 3, 3, 2, 3, 2, 2, 1, 1, 1, 0, 1, 0, 0, 1)
#: Wren's release covers the referral packet and the collaboration after it: consult notes,
#: progress check-ins, messages between her clinicians and her visits' attendance, so her
#: therapist and her prescriber can work as one team in the demo (the product brief's
#: journey 8; her therapist sees today's follow-up on her timeline).
COLLABORATION_CATEGORIES = (
    *DEMO_CATEGORIES,
    Category.ATTENDANCE,
    Category.CONSULT_NOTES,
    Category.PROGRESS_UPDATES,
    Category.CLINICIAN_MESSAGES,
)
SLEEP = (5, 5.5, 5, 5, 5, 5.5, 5.5, 6, 6, 6, 6.5, 6.5, 7, 6.5, 7, 7, 7)


def _age_32_birthday(today: dt.date) -> dt.date:
    # January 1 of the year 32 years ago: 32 all year, the same date on every run that year.
    return dt.date(today.year - 32, 1, 1)


def seed_measures_case(world: DemoWorld) -> None:
    """Create Wren Halloway's care team, release, scores, trackers and sertraline start."""
    today = timezone.localdate()
    now = (
        timezone.localtime()
    )  # wall-clock arithmetic: "12 weeks ago" lands on the same local day of the week
    therapist, prescriber = world.users[THERAPIST], world.users[PRESCRIBER]
    therapy, psychiatry = world.organisations["backbay"], world.organisations["harborlight"]
    client, created, changed = upsert(
        Client,
        {"email": EMAIL},
        {"first_name": FIRST, "last_name": LAST, "date_of_birth": _age_32_birthday(today),
         "state_of_residence": "MA"},
    )  # fmt: skip
    world.count("article case client", created=created, changed=changed)
    started = today - dt.timedelta(weeks=BASELINE_WEEKS_AGO + 26)
    for username, org, role in (
        (THERAPIST, therapy, Role.THERAPIST),
        (PRESCRIBER, psychiatry, Role.PRESCRIBER),
        (COORDINATOR, psychiatry, Role.COORDINATOR),
    ):
        member = CareTeamMember.objects.filter(
            client=client, user=world.users[username], role=role, ended_on__isnull=True
        ).first()
        if member is None:
            member = CareTeamMember.objects.create(
                client=client, user=world.users[username], organisation=org, role=role,
                is_primary_therapist=role == Role.THERAPIST,
            )  # fmt: skip
            # The therapy began six months before the referral; the psychiatric team later.
            when = started if role == Role.THERAPIST else started + dt.timedelta(weeks=25)
            CareTeamMember.objects.filter(pk=member.pk).update(started_on=when)

    if not Release.objects.filter(client=client).exists():
        release = prepare_release(
            actor=therapist,
            client=client,
            categories=[c.value for c in COLLABORATION_CATEGORIES],
            disclosers=[PartySpec(therapy)],
            recipients=[PartySpec(psychiatry)],
            purpose=Purpose.TREATMENT_COORDINATION,
            two_way=True,
            effective_from=today - dt.timedelta(weeks=BASELINE_WEEKS_AGO + 2),
            expires_on=today + dt.timedelta(days=365),
        )  # fmt: skip
        signed_at = now - dt.timedelta(weeks=BASELINE_WEEKS_AGO + 2)
        sign_in_office(release, client, signed_at)
        world.count("releases", created=True, changed=False)

    baseline = now - dt.timedelta(weeks=BASELINE_WEEKS_AGO)
    if not MedicationEvent.objects.filter(client=client, drug="sertraline").exists():
        MedicationEvent.objects.create(
            client=client, prescriber=prescriber, organisation=psychiatry, change="start",
            drug="sertraline", dose=Decimal("25"), unit="mg", frequency="once daily",
            reason="Generalized anxiety disorder with panic attacks; CBT alone for six months.",
            watch_for="Early jitteriness or a brief rise in anxiety in the first two weeks.",
            occurred_at=baseline + dt.timedelta(weeks=SSRI_WEEK),
        )  # fmt: skip
        world.count("medication events", created=True, changed=False)

    for week, gad7, phq9, by in SCORES:
        org = therapy if by == THERAPIST else psychiatry
        at = baseline + dt.timedelta(weeks=week)
        for code, answers in (("gad-7", gad7), ("phq-9", phq9)):
            made = _store(
                client,
                code,
                answers,
                world.users[by],
                org,
                at,
                week,
                ResponseSource.CLINICIAN if by == PRESCRIBER else ResponseSource.PAPER,
            )
            world.count("questionnaire responses", created=made, changed=False)

    trackers = (
        ("Panic attacks", "per week", True, PANIC),
        ("Hours of sleep", "a night, weekly average", False, SLEEP),
    )
    for name, unit, lower_is_better, values in trackers:
        tracker = SymptomTracker.objects.filter(client=client, name=name).first()
        if tracker is None:
            tracker = SymptomTracker.objects.create(
                client=client, name=name, unit=unit, lower_is_better=lower_is_better,
                created_by=therapist, organisation=therapy,
            )  # fmt: skip
            world.count("symptom trackers", created=True, changed=False)
        first_day = timezone.localdate(baseline) - dt.timedelta(weeks=4)
        for offset, value in enumerate(values):
            day = first_day + dt.timedelta(weeks=offset)
            _, made = SymptomEntry.objects.get_or_create(
                tracker=tracker, recorded_on=day,
                defaults={"value": Decimal(str(value)), "organisation": therapy,
                          "entered_by": therapist, "entered_at": timezone.make_aware(
                              dt.datetime.combine(day, dt.time(18)))},
            )  # fmt: skip
            if made:
                world.count("symptom entries", created=True, changed=False)

    if not MeasureSchedule.objects.filter(client=client, instrument="gad-7").exists():
        last = timezone.localdate(baseline + dt.timedelta(weeks=SCORES[-1][0]))
        MeasureSchedule.objects.create(
            client=client, instrument="gad-7", every_days=14,
            next_due=last + dt.timedelta(days=14), organisation=psychiatry, set_by=prescriber,
        )  # fmt: skip
        world.count("measure schedules", created=True, changed=False)


def _store(
    client: Client,
    code: str,
    answers: list[int],
    by: Any,
    org: Any,
    at: dt.datetime,
    week: int,
    source: str,
) -> bool:
    """Store one historical response as scored, with its audit row; return whether it was new.

    Written directly rather than through ``record_response``: these are past
    results, so no reminders are planned and no disclosures are replayed (the
    release lets both practices see them on the pages).
    """
    key = f"demo-{client.public_id}-{code}-week-{week}"
    if QuestionnaireResponse.objects.filter(client=client, idempotency_key=key).exists():
        return False
    instrument = INSTRUMENTS[code]
    result = instrument.score(answers)
    response = QuestionnaireResponse.objects.create(
        client=client, instrument=code, instrument_version=instrument.version, answers=answers,
        total=result.total, band=result.band or "", positive=result.positive,
        flags=list(result.flags), complete=result.complete, prorated=result.prorated,
        source=source, organisation=org, entered_by=by, entered_at=at, idempotency_key=key,
    )  # fmt: skip
    record(
        actor=None, action=AuditAction.CREATE, obj=response, client=client, organisation=org,
        detail={"instrument": code, "source": source, "via": "seed_demo"},
    )  # fmt: skip
    return True
