"""Today's work for the prescriber, so her home page opens on a real day.

Without it Dr Elena Marsh's home page said "No visits today", "No unsigned notes" and
"No check-ins answered": the queues were true but there was no day to walk. Every row
is made by the real actions, as the people who would make them:

- Wren Halloway's medication follow-up with Elena today (booked by Priya Raman two
  days ago, confirmed), on a business day only: a practice closed today has no visits;
- Elena's draft consult note on Wren, waiting to be signed;
- a progress check-in Elena asked of Ruth Feldman about Wren, answered this morning
  (Wren's release covers consult notes, progress check-ins and attendance).

Maya Brennan's queues stay empty in the seed, truly: her only client with a prescriber,
Jordan Ellery, has not signed his release yet, so nothing of his care reaches her.

Idempotent: today's visit is looked up by its client and day; the rest, made in the same
transaction, by Elena's note on Wren.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tandem.care.checkins.actions import answer_checkin, request_due_checkin, set_checkin_cadence
from tandem.care.notes.actions import save_note
from tandem.care.notes.models import ConsultNote
from tandem.clients.models import Client
from tandem.demo.measures import EMAIL as WREN_EMAIL
from tandem.demo.practice import DemoWorld
from tandem.scheduling.actions import book_for_client
from tandem.scheduling.models import Appointment, AppointmentType
from tandem.scheduling.selectors import slots

PRESCRIBER, COORDINATOR, THERAPIST = "elena.marsh", "priya.raman", "ruth.feldman"


def seed_todays_work(world: DemoWorld) -> None:
    """Give Elena a visit, a note to sign and an answered check-in."""
    elena = world.users[PRESCRIBER]
    _todays_visit(world)
    # The rest is made in one transaction (``seed_demo``): the note says it is all there.
    if ConsultNote.objects.filter(client__email=WREN_EMAIL, author=elena).exists():
        return
    wren = Client.objects.get(email=WREN_EMAIL)
    save_note(
        actor=elena,
        client=wren,
        data={
            "diagnoses": ["F41.1"],
            "formulation": "Generalized anxiety disorder with panic attacks, much improved "
            "on sertraline with continued CBT.",
            "medication_recommendations": "Continue sertraline 25 mg once daily.",
            "therapy_focus": "Relapse prevention; taper exposure work to monthly.",
            "follow_up_plan": "Medication follow-up in six weeks.",
        },
    )
    world.count("consult notes", created=True, changed=False)
    _answered_checkin(world, wren)


def _todays_visit(world: DemoWorld) -> None:
    """Book Wren's follow-up today at the first hour Elena works, as Priya did two days ago."""
    elena, priya = world.users[PRESCRIBER], world.users[COORDINATOR]
    harborlight = world.organisations["harborlight"]
    today = timezone.localdate()
    if Appointment.objects.filter(
        client__email=WREN_EMAIL, prescriber=elena, starts_at__date=today
    ).exists():
        return
    follow_up = AppointmentType.objects.get(organisation=harborlight, code="follow-up")
    booked_at = timezone.now() - dt.timedelta(days=2)
    open_today = slots(harborlight, follow_up, prescriber=elena, now=booked_at, days=(today, today))
    if not open_today:  # a weekend or a holiday: no visits today
        return
    visit = book_for_client(
        actor=priya,
        organisation=harborlight,
        prescriber=elena,
        appointment_type=follow_up,
        starts_at=open_today[0].starts_at,
        client=Client.objects.get(email=WREN_EMAIL),
        now=booked_at,
    )
    Appointment.objects.filter(pk=visit.pk).update(created_at=booked_at)
    world.count("appointments", created=True, changed=False)


def _answered_checkin(world: DemoWorld, wren: Client) -> None:
    """Elena asks Ruth for Wren's progress today; Ruth answers it."""
    elena, ruth = world.users[PRESCRIBER], world.users[THERAPIST]
    today = timezone.localdate()
    cadence = set_checkin_cadence(
        actor=elena,
        client=wren,
        early_every_days=14,
        early_weeks=12,
        later_every_days=28,
        starts_on=today,
    )
    # What the worker does at nine: ask the primary therapist (the queued task finds it done).
    checkin = request_due_checkin(cadence.pk, cadence.version, today.isoformat())
    if checkin is None:
        return
    answer_checkin(
        actor=ruth,
        checkin=checkin,
        data={
            "change": "better",
            "functioning": "Back at work full time; one panic attack this month, handled with "
            "the breathing plan.",
            "engagement": "full",
            "adherence_side_effects": "Takes sertraline daily; no side effects she mentions.",
            "concerns": "",
            "free_text": "Would like to talk about how long to stay on it.",
        },
    )
    world.count("progress check-ins", created=True, changed=False)
