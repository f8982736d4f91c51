"""Demo referral policies and referrals: a real Monday in both practices' inboxes.

Every referral is made with the real actions (``start_referral``,
``save_draft``, ``send_referral`` and the named moves), so eligibility, the loop's
rules, history rows, audit rows and notifications are exactly what a user
would produce. Then the timestamps (and the events' and notifications') are
moved back to tell a story over recent weeks, and the response clock is
replayed honestly against the back-dated times: a referral still unanswered
after its due time is marked overdue by the clock task itself.

Each demo referral has a fixed idempotency key (uuid5 of its name), so a
second run finds it and adds nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.utils import timezone

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.models import Client
from tandem.core.calendar import BusinessCalendar
from tandem.core.tasks import enqueue_on_commit
from tandem.demo.consent import REVOKED, released_specs, sign_for_referral
from tandem.demo.practice import ClientSpec, DemoWorld, client_specs, upsert
from tandem.notifications.models import Notification
from tandem.referrals import actions, eligibility
from tandem.referrals.models import (
    DeclineReason,
    DiagnosticQuestion,
    Payer,
    PlanType,
    PracticePolicy,
    Referral,
    ReferralEvent,
    ReferralReason,
    Service,
)
from tandem.referrals.models import ReferralStatus as S
from tandem.referrals.tasks import check_response_clock

_VIA = {"via": "seed_demo"}
#: Fixed, so the demo referrals' idempotency keys are the same on every machine and every run.
DEMO_NAMESPACE = uuid.UUID("7b0c1d7e-2f4a-4c61-9d38-5e2a0c4b9f11")

POLICIES: dict[str, dict[str, Any]] = {
    # The article's practice: adults 18-64 in Massachusetts, commercial PPO/EPO and self-pay.
    "harborlight": {
        "accepting_new": True,
        "min_age": 18,
        "max_age": 64,
        "visit_states": ["MA"],
        "payers": [Payer.COMMERCIAL.value, Payer.SELF_PAY.value],
        "plan_types": [PlanType.PPO.value, PlanType.EPO.value],
        "services": [s.value for s in Service],
        "response_target_days": 1,
        "urgent_response_hours": 4,
        "access_target_weeks": 4,
        "opens": dt.time(9, 0),
        "closes": dt.time(17, 0),
    },
    # A group practice with an office: older adults on Medicare too, two business days.
    "quinsigamond": {
        "accepting_new": True,
        "min_age": 18,
        "max_age": 75,
        "visit_states": ["MA"],
        "payers": [Payer.COMMERCIAL.value, Payer.SELF_PAY.value, Payer.MEDICARE.value],
        "plan_types": [PlanType.PPO.value, PlanType.EPO.value, PlanType.HMO.value],
        "services": [
            Service.MEDICATION_MANAGEMENT.value,
            Service.DIAGNOSTIC_CLARIFICATION.value,
            Service.SECOND_OPINION.value,
        ],
        "response_target_days": 2,
        "urgent_response_hours": 4,
        "access_target_weeks": 3,
        "opens": dt.time(8, 30),
        "closes": dt.time(17, 0),
    },
}

#: The coordinator who works each practice's inbox for new clients.
INBOX_COORDINATOR = {"harborlight": "priya.raman", "quinsigamond": "hannah.kowalczyk"}


def seed_practice_policies(world: DemoWorld) -> None:
    """Give both psychiatric practices their intake policy and response targets."""
    for key, values in POLICIES.items():
        organisation = world.organisations[key]
        practice_policy, created, changed = upsert(
            PracticePolicy, {"organisation": organisation}, values
        )
        if created:
            record(
                actor=None,
                action=AuditAction.CREATE,
                obj=practice_policy,
                organisation=organisation,
                detail=_VIA,
            )
        world.count("practice policies", created=created, changed=changed)


# --- The referrals ------------------------------------------------------------


@dataclass(frozen=True)
class When:
    """A moment in the story, relative to when the seed runs.

    Either ``ago`` before now, or ``days`` business days before the last business day
    that has closed (0 is that day), at ``at`` in the practice's time zone.
    """

    days: int = 0
    at: dt.time = dt.time(10, 0)
    ago: dt.timedelta | None = None


def ago(**kwargs: float) -> When:
    return When(ago=dt.timedelta(**kwargs))


def bd(days: int, hour: int, minute: int = 0) -> When:
    return When(days=days, at=dt.time(hour, minute))


THERAPIST_SIDE = "therapist"
COORDINATOR = "coordinator"
PRESCRIBER = "prescriber"


@dataclass(frozen=True)
class Step:
    target: str
    when: When
    by: str = COORDINATOR
    note: str = ""
    decline_reason: str = ""
    redirect_to: str = ""  # practice key


@dataclass(frozen=True)
class DemoReferral:
    key: str
    practice: str
    #: Whose client: "new" (no psychiatric care yet; once sent, with a release signed for the
    #: packet), "senior" (new, over 64), "team" (already on the practice's care team, with a
    #: signed release) or "portal" (Jordan Ellery, whose release waits for his signature).
    pool: str
    packet: str
    started: When
    sent: When | None
    steps: tuple[Step, ...] = ()
    payer: str = Payer.COMMERCIAL
    plan_type: str = PlanType.PPO
    service: str = Service.MEDICATION_MANAGEMENT

    @property
    def idempotency_key(self) -> uuid.UUID:
        return uuid.uuid5(DEMO_NAMESPACE, f"demo-referral:{self.key}")


R = ReferralReason
Q = DiagnosticQuestion

PACKETS: dict[str, dict[str, Any]] = {
    "safety": {
        "reasons": [R.SAFETY, R.TREATMENT_RESISTANT],
        "symptoms_tried": "Weekly CBT and behavioural activation for five months; mood has "
        "worsened over the last three weeks.",
        "diagnoses": ["F33.2"],
        "treatment_history": "Two prior episodes of depression; sertraline in 2021 helped "
        "partially and was stopped by the client.",
        "safety_ideation": True,
        "safety_notes": "Passive thoughts of death most days, no plan or intent; safety plan "
        "reviewed in session and the client agreed to call 988 if this changes.",
        "recent_scores": [{"instrument": "PHQ-9", "score": "22", "date": "this week"}],
        "contact_preferences": "Call my cell between sessions; same-day callback please.",
    },
    "panic": {
        "reasons": [R.TREATMENT_RESISTANT],
        "symptoms_tried": "Six months of weekly CBT with interoceptive exposure; panic attacks "
        "two or three times a week persist and block exposure work.",
        "diagnoses": ["F41.0", "F41.1"],
        "treatment_history": "CBT since the spring; good engagement, limited response.",
        "medications": [
            {"name": "Levothyroxine", "dose": "50 mcg daily", "kind": "medical"},
            {"name": "Magnesium glycinate", "dose": "200 mg at night", "kind": "supplement"},
        ],
        "medical_history": "Hypothyroidism, treated; TSH normal in March.",
        "recent_scores": [{"instrument": "GAD-7", "score": "16", "date": "last month"}],
        "contact_preferences": "Secure message in Tandem; I reply within a day.",
    },
    "adhd": {
        "reasons": [R.DIAGNOSTIC_UNCERTAINTY, R.CLIENT_REQUEST],
        "diagnostic_questions": [Q.ADULT_ADHD],
        "diagnoses": ["F41.1"],
        "treatment_history": "Eight months of therapy for work stress; lifelong inattention "
        "and disorganisation reported, not explained by anxiety alone.",
        "recent_scores": [{"instrument": "ASRS v1.1", "score": "5 of 6", "date": "last month"}],
        "contact_preferences": "Email through Tandem, or call Tuesdays and Thursdays.",
    },
    "depression": {
        "reasons": [R.TREATMENT_RESISTANT],
        "symptoms_tried": "Weekly therapy for seven months (CBT, then IPT); sleep and appetite "
        "still disturbed.",
        "diagnoses": ["F33.1", "F51.01"],
        "treatment_history": "IPT since February after partial response to CBT.",
        "medications": [{"name": "Vitamin D3", "dose": "2000 IU daily", "kind": "supplement"}],
        "medical_history": "No known medical conditions; last physical a year ago.",
        "recent_scores": [{"instrument": "PHQ-9", "score": "17", "date": "two weeks ago"}],
        "contact_preferences": "Phone, weekday afternoons.",
    },
    "bipolar": {
        "reasons": [R.DIAGNOSTIC_UNCERTAINTY],
        "diagnostic_questions": [Q.BIPOLAR_VS_BPD],
        "diagnoses": ["F33.1"],
        "treatment_history": "DBT skills group and individual therapy for a year; episodes of "
        "decreased need for sleep lasting several days raise the question of bipolar II.",
        "medications": [{"name": "Bupropion XL", "dose": "150 mg", "kind": "psychiatric"}],
        "recent_scores": [{"instrument": "MDQ", "score": "8", "date": "this month"}],
        "contact_preferences": "Secure message in Tandem.",
    },
    "sleep": {
        "reasons": [R.DIAGNOSTIC_UNCERTAINTY],
        "diagnostic_questions": [Q.MEDICAL_CAUSES],
        "diagnoses": ["F32.1", "G47.33"],
        "treatment_history": "Four months of therapy; fatigue and low mood with loud snoring "
        "reported by the partner. Sleep study pending with the PCP.",
        "medical_history": "Obstructive sleep apnea suspected; hypertension, treated.",
        "medications": [{"name": "Lisinopril", "dose": "10 mg daily", "kind": "medical"}],
        "contact_preferences": "Phone, mornings.",
    },
    "ocd": {
        "reasons": [R.TREATMENT_RESISTANT, R.CLIENT_REQUEST],
        "symptoms_tried": "ERP weekly for six months; compulsions down by a third, intrusive "
        "thoughts unchanged.",
        "diagnoses": ["F42.2"],
        "treatment_history": "ERP with good adherence to homework.",
        "recent_scores": [{"instrument": "Y-BOCS", "score": "24", "date": "last month"}],
        "contact_preferences": "Email through Tandem.",
    },
    "ptsd": {
        "reasons": [R.TREATMENT_RESISTANT],
        "symptoms_tried": "Twelve sessions of CPT; nightmares and hyperarousal persist.",
        "diagnoses": ["F43.12", "F51.01"],
        "treatment_history": "CPT completed in the summer; partial response.",
        "substance_use": "Two or three drinks most evenings to help with sleep.",
        "recent_scores": [{"instrument": "PCL-5", "score": "48", "date": "this month"}],
        "contact_preferences": "Phone, any weekday.",
    },
    "second_opinion": {
        "reasons": [R.DIAGNOSTIC_UNCERTAINTY],
        "diagnostic_questions": [Q.SECOND_OPINION],
        "diagnoses": ["F33.1"],
        "treatment_history": "Treated by the PCP with two SSRIs in turn over a year; little "
        "change. The client asks for a psychiatrist's view.",
        "medications": [{"name": "Escitalopram", "dose": "20 mg", "kind": "psychiatric"}],
        "contact_preferences": "Phone, weekday evenings before 7.",
    },
    "draft": {
        "reasons": [R.TREATMENT_RESISTANT],
        "diagnoses": ["F40.10"],
        "treatment_history": "Social anxiety; CBT group for three months.",
    },
}

H, W = "harborlight", "quinsigamond"
PRACTICE_DECLINE_NOTE = (
    "We see clients by telehealth only and this evaluation needs an in-person visit. "
    "Quinsigamond Behavioral Health Group sees clients in its Worcester office."
)

REFERRALS: tuple[DemoReferral, ...] = (
    # Harborlight Psychiatry (one business day; four hours when urgent)
    DemoReferral("h-urgent", H, "new", "safety", ago(hours=2), ago(minutes=95)),
    DemoReferral("h-sent-today", H, "new", "panic", ago(hours=5), ago(hours=4),
                 plan_type=PlanType.EPO),
    DemoReferral("h-overdue", H, "new", "adhd", bd(-1, 13, 40), bd(-1, 14, 10),
                 service=Service.ADULT_ADHD),
    DemoReferral("h-escalated", H, "new", "depression", bd(-4, 9, 50), bd(-4, 10, 5),
                 payer=Payer.SELF_PAY, plan_type=PlanType.NONE),
    DemoReferral("h-received", H, "portal", "bipolar", bd(-1, 9, 10), bd(-1, 9, 30),
                 (Step(S.RECEIVED, bd(-1, 11, 5)),), service=Service.DIAGNOSTIC_CLARIFICATION),
    DemoReferral("h-info", H, "new", "depression", bd(-3, 9, 40), bd(-3, 10, 0), (
        Step(S.RECEIVED, bd(-3, 15, 0)),
        Step(S.INFO_REQUESTED, bd(-2, 10, 30),
             note="Could you add this month's PHQ-9 and GAD-7, and which antidepressants "
                  "were tried before, with doses?"),
    )),
    DemoReferral("h-declined", H, "new", "sleep", bd(-6, 10, 40), bd(-6, 11, 0), (
        Step(S.RECEIVED, bd(-6, 14, 0)),
        Step(S.DECLINED, bd(-5, 10, 0), note=PRACTICE_DECLINE_NOTE,
             decline_reason=DeclineReason.OUT_OF_SCOPE, redirect_to=W),
    ), service=Service.DIAGNOSTIC_CLARIFICATION),
    DemoReferral("h-cancelled", H, "new", "ocd", bd(-7, 11, 0), bd(-7, 11, 20), (
        Step(S.RECEIVED, bd(-7, 15, 30)),
        Step(S.CANCELLED, bd(-5, 16, 0), by=THERAPIST_SIDE,
             note="The client decided to start medication with their primary care physician."),
    )),
    DemoReferral("h-accepted", H, "team", "panic", bd(-4, 9, 30), bd(-4, 9, 45), (
        Step(S.RECEIVED, bd(-4, 11, 30)),
        Step(S.ACCEPTED, bd(-3, 10, 0)),
    )),
    DemoReferral("h-scheduled", H, "team", "ocd", bd(-9, 13, 0), bd(-9, 13, 15), (
        Step(S.RECEIVED, bd(-9, 16, 0)),
        Step(S.ACCEPTED, bd(-8, 10, 0)),
        Step(S.SCHEDULED, bd(-7, 11, 0)),
    )),
    DemoReferral("h-first-visit", H, "team", "adhd", bd(-18, 10, 0), bd(-18, 10, 20), (
        Step(S.RECEIVED, bd(-18, 13, 0)),
        Step(S.ACCEPTED, bd(-17, 9, 30)),
        Step(S.SCHEDULED, bd(-17, 10, 0)),
        Step(S.FIRST_VISIT_DONE, bd(-4, 15, 0), by=PRESCRIBER),
    ), service=Service.ADULT_ADHD),
    DemoReferral("h-consult-note", H, "team", "depression", bd(-25, 9, 0), bd(-25, 9, 20), (
        Step(S.RECEIVED, bd(-25, 12, 0)),
        Step(S.ACCEPTED, bd(-24, 10, 0)),
        Step(S.SCHEDULED, bd(-24, 11, 0)),
        Step(S.FIRST_VISIT_DONE, bd(-12, 14, 0), by=PRESCRIBER),
        Step(S.CONSULT_NOTE_SENT, bd(-10, 16, 0), by=PRESCRIBER),
    )),
    DemoReferral("h-closed", H, "team", "ptsd", bd(-30, 14, 0), bd(-30, 14, 30), (
        Step(S.RECEIVED, bd(-29, 9, 15)),
        Step(S.ACCEPTED, bd(-29, 11, 0)),
        Step(S.SCHEDULED, bd(-28, 10, 0)),
        Step(S.FIRST_VISIT_DONE, bd(-19, 10, 0), by=PRESCRIBER),
        Step(S.CONSULT_NOTE_SENT, bd(-17, 15, 0), by=PRESCRIBER),
        Step(S.CLOSED, bd(-15, 12, 0)),
    )),
    DemoReferral("h-draft", H, "new", "draft", bd(0, 16, 20), None),
    # Quinsigamond Behavioral Health Group (two business days)
    DemoReferral("q-sent-today", W, "senior", "second_opinion", ago(hours=3, minutes=20),
                 ago(hours=3), payer=Payer.MEDICARE, plan_type=PlanType.NONE,
                 service=Service.SECOND_OPINION),
    DemoReferral("q-escalated", W, "new", "ptsd", bd(-6, 14, 0), bd(-6, 14, 30),
                 plan_type=PlanType.HMO),
    DemoReferral("q-answered", W, "new", "sleep", bd(-3, 8, 50), bd(-3, 9, 0), (
        Step(S.RECEIVED, bd(-3, 13, 0)),
        Step(S.INFO_REQUESTED, bd(-3, 13, 10),
             note="Has the sleep study been booked? Please send the date if so."),
        Step(S.RECEIVED, bd(-1, 10, 45), by=THERAPIST_SIDE,
             note="Yes: the sleep study is booked for the end of the month."),
    ), service=Service.DIAGNOSTIC_CLARIFICATION),
    DemoReferral("q-scheduled", W, "team", "panic", bd(-8, 10, 0), bd(-8, 10, 10), (
        Step(S.RECEIVED, bd(-7, 9, 0)),
        Step(S.ACCEPTED, bd(-7, 14, 0)),
        Step(S.SCHEDULED, bd(-6, 10, 0)),
    )),
    DemoReferral("q-no-show", W, "team", "depression", bd(-15, 11, 0), bd(-15, 11, 10), (
        Step(S.RECEIVED, bd(-15, 15, 0)),
        Step(S.ACCEPTED, bd(-14, 10, 0)),
        Step(S.SCHEDULED, bd(-14, 10, 30)),
        Step(S.NO_SHOW, bd(-3, 9, 30)),
    )),
    DemoReferral("q-closed", W, "team", "second_opinion", bd(-28, 9, 0), bd(-28, 9, 10), (
        Step(S.RECEIVED, bd(-27, 10, 0)),
        Step(S.ACCEPTED, bd(-27, 10, 30)),
        Step(S.SCHEDULED, bd(-26, 9, 0)),
        Step(S.FIRST_VISIT_DONE, bd(-16, 11, 0), by=PRESCRIBER),
        Step(S.CONSULT_NOTE_SENT, bd(-14, 16, 30), by=PRESCRIBER),
        Step(S.CLOSED, bd(-12, 9, 0)),
    ), service=Service.SECOND_OPINION),
)  # fmt: skip


@dataclass
class _Clock:
    """Turns ``When`` into aware datetimes around the last closed business day."""

    calendar: BusinessCalendar
    now: dt.datetime
    anchor: dt.date = field(init=False)

    def __post_init__(self) -> None:
        day = self.calendar.local(self.now).date()
        while not (self.calendar.is_business_day(day) and self.calendar.close_of(day) <= self.now):
            day -= dt.timedelta(days=1)
        self.anchor = day

    def __call__(self, when: When) -> dt.datetime:
        if when.ago is not None:
            return self.now - when.ago
        day = self.anchor
        for _ in range(-when.days):
            day -= dt.timedelta(days=1)
            while not self.calendar.is_business_day(day):
                day -= dt.timedelta(days=1)
        return dt.datetime.combine(day, when.at, tzinfo=self.calendar.zone)


def _age(spec: ClientSpec) -> int:
    return eligibility.age_on(spec.date_of_birth, timezone.localdate())


def _candidates(demo: DemoReferral) -> list[ClientSpec]:
    """Return the clients that fit ``demo``'s pool, best first."""
    specs = client_specs()
    practice = {
        "harborlight": ("elena.marsh", "samuel.adeyemi"),
        "quinsigamond": ("marcus.delacroix",),
    }
    if demo.pool == "portal":
        return [s for s in specs if s.portal]
    if demo.pool == "team":
        released = released_specs()
        active = [s for i, s in enumerate(released) if i != REVOKED]
        ours = [
            s
            for s in specs
            if s.psychiatric is not None
            and s.psychiatric[0] in practice[demo.practice]
            and not s.portal
        ]
        return [s for s in ours if s in active] + [s for s in ours if s not in active]
    new = [s for s in specs if s.psychiatric is None and s.state_of_residence == "MA"]
    if demo.pool == "senior":
        return [s for s in new if _age(s) > 64]
    return [s for s in new if 18 <= _age(s) <= 64]


def _pick(demo: DemoReferral, practice_policy: PracticePolicy, used: set[str]) -> ClientSpec | None:
    for spec in _candidates(demo):
        if spec.email in used:
            continue
        facts = eligibility.Facts(
            age=_age(spec),
            visit_state="MA",
            payer=demo.payer,
            plan_type=demo.plan_type,
            service=demo.service,
        )
        if not eligibility.check(practice_policy, facts):
            return spec
    return None


def _last_notification_pk() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def seed_referrals(world: DemoWorld) -> None:
    """Make referrals in every state of the loop, some overdue, one urgent, over recent weeks."""
    now = timezone.now()
    existing = dict(
        Referral.objects.filter(
            idempotency_key__in=[d.idempotency_key for d in REFERRALS]
        ).values_list("idempotency_key", "client__email")
    )
    used = set(existing.values())
    clients = {c.email: c for c in world.clients}
    policies = {
        key: PracticePolicy.objects.select_related("organisation").get(
            organisation=world.organisations[key]
        )
        for key in POLICIES
    }
    clocks = {key: _Clock(p.calendar(), now) for key, p in policies.items()}
    for demo in REFERRALS:
        if demo.idempotency_key in existing:
            continue
        spec = _pick(demo, policies[demo.practice], used)
        if spec is None:  # the clients aged out of every pool: leave this one out
            continue
        used.add(spec.email)
        _make(
            world, demo, spec, clients[spec.email], policies[demo.practice], clocks[demo.practice]
        )
        world.count("referrals", created=True, changed=False)


def _make(
    world: DemoWorld,
    demo: DemoReferral,
    spec: ClientSpec,
    client: Client,
    practice_policy: PracticePolicy,
    clock: _Clock,
) -> None:
    therapist = world.users[spec.therapist]
    organisation = world.organisations[demo.practice]
    if spec.psychiatric is not None and demo.pool == "team":
        prescriber_local, coordinator_local = spec.psychiatric
    else:
        prescriber_local = {"harborlight": "elena.marsh", "quinsigamond": "marcus.delacroix"}[
            demo.practice
        ]
        coordinator_local = INBOX_COORDINATOR[demo.practice]
    people = {
        THERAPIST_SIDE: therapist,
        COORDINATOR: world.users[coordinator_local],
        PRESCRIBER: world.users[prescriber_local],
    }
    if demo.sent is not None and demo.pool in ("new", "senior"):
        # The client signed a release for the packet between the draft and the sending (as
        # the draft page offers it), so the practice reads what the therapist sends.
        started, sent = clock(demo.started), clock(demo.sent)
        signed_at = min(started + (sent - started) / 2, clock.now)
        sign_for_referral(world, spec, client, demo.practice, signed_at)
    # Each action with the moment it happened, and the notifications it made.
    moments: list[dt.datetime] = [clock(demo.started)]
    notified: list[tuple[int, int]] = []

    def act(fn: Callable[[], Any]) -> Any:
        before = _last_notification_pk()
        result = fn()
        notified.append((before, _last_notification_pk()))
        return result

    referral = act(
        partial(
            actions.start_referral,
            actor=therapist,
            client=client,
            to_organisation=organisation,
            visit_state="MA",
            payer=demo.payer,
            plan_type=demo.plan_type,
            service=demo.service,
            idempotency_key=demo.idempotency_key,
        )
    )
    errors = actions.save_draft(actor=therapist, referral=referral, data=PACKETS[demo.packet])
    if errors:
        raise ValueError(f"Demo packet {demo.packet!r} does not validate: {errors}")
    if demo.sent is not None:
        moments.append(clock(demo.sent))
        referral = act(partial(actions.send_referral, actor=therapist, referral=referral))
    for step in demo.steps:
        moments.append(clock(step.when))
        referral = act(partial(_named_move(referral, step, world, people), actor=people[step.by]))
    _backdate(referral, moments, notified, practice_policy, clock.now)


def _named_move(
    referral: Referral, step: Step, world: Any, people: dict[str, Any]
) -> Callable[..., Referral]:
    """Return the referral's named action for ``step``, with the step's own arguments."""
    if step.target == S.INFO_REQUESTED:
        return partial(actions.request_info, referral=referral, question=step.note)
    if step.target == S.RECEIVED and referral.status == S.INFO_REQUESTED:
        return partial(actions.answer, referral=referral, answer=step.note)
    kwargs: dict[str, Any] = {"note": step.note}
    if step.target == S.DECLINED:
        kwargs["decline_reason"] = step.decline_reason
        kwargs["redirect_to"] = world.organisations[step.redirect_to] if step.redirect_to else None
    if step.target == S.ACCEPTED:
        kwargs["assigned_prescriber"] = people[PRESCRIBER]
    return partial(actions.NAMED_MOVES[step.target], referral=referral, **kwargs)


def _backdate(
    referral: Referral,
    moments: list[dt.datetime],
    notified: list[tuple[int, int]],
    practice_policy: PracticePolicy,
    now: dt.datetime,
) -> None:
    """Move the referral's times, events and notifications to ``moments``, then run its clock."""
    if max(moments) > now:  # "ago" moments can land after "business day" ones early in the day
        shift = max(moments) - now + dt.timedelta(minutes=5)
        moments = [m - shift for m in moments]
    if moments != sorted(moments):
        raise ValueError(f"Demo referral {referral.public_id} has its steps out of order.")
    events = list(ReferralEvent.objects.filter(referral=referral).order_by("pk"))
    for event, moment in zip(events, moments, strict=True):
        ReferralEvent.objects.filter(pk=event.pk).update(at=moment)
    for (after, upto), moment in zip(notified, moments, strict=True):
        recent = now - moment < dt.timedelta(days=1)
        Notification.objects.filter(pk__gt=after, pk__lte=upto).update(
            created_at=moment,
            # Old news was emailed and read back then; today's stays unread for the worker to email.
            emailed_at=None if recent else moment,
            read_at=None if recent else min(moment + dt.timedelta(hours=3), now),
        )
    values: dict[str, Any] = {"created_at": moments[0], "updated_at": moments[-1]}
    sent_at = None
    if referral.sent_at is not None:
        sent_at = moments[1]
        values["sent_at"] = sent_at
        if referral.urgent:
            values["due_at"] = sent_at + dt.timedelta(hours=practice_policy.urgent_response_hours)
        else:
            values["due_at"] = practice_policy.calendar().due(
                sent_at, practice_policy.response_target_days
            )
        practice_moves = [
            m
            for e, m in zip(events, moments, strict=True)
            if e.actor_id is not None and e.actor_id != referral.therapist_id
        ]
        values["responded_at"] = practice_moves[0] if practice_moves else None
    Referral.objects.filter(pk=referral.pk).update(**values)
    if referral.status == S.SENT:
        _replay_clock(referral.pk, values["due_at"], practice_policy, now)


def _replay_clock(
    referral_id: int, due_at: dt.datetime, practice_policy: PracticePolicy, now: dt.datetime
) -> None:
    """Run the response clock as the worker would have at the back-dated due times."""
    if due_at > now:
        # send_referral queued the clock for a due time counted from today; queue the true one
        # too (the task is idempotent, so the later run finds nothing left to do).
        enqueue_on_commit(check_response_clock, referral_id, 1, run_after=due_at)
        return
    calendar = practice_policy.calendar()
    escalate_at = calendar.close_of(calendar.next_business_day(calendar.local(due_at).date()))
    for level, at in ((1, due_at), (2, escalate_at)):
        if at > now:
            break
        before = _last_notification_pk()
        check_response_clock.call(referral_id, level)
        Notification.objects.filter(pk__gt=before).update(created_at=at, emailed_at=at)
