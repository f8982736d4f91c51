"""Reads of collaboration, scoped to the viewer and gated by consent, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from tandem.care.access import CLINICIAN_ROLES, on_call_reader, seat
from tandem.care.actions import active_medications
from tandem.care.crisis import SERIOUS_THREAT_BASIS
from tandem.care.models import (
    SAFETY_PLAN_SECTIONS,
    AlertLevel,
    AlertStatus,
    CareSettings,
    CheckInStatus,
    ConsultNote,
    MedicationEvent,
    Message,
    MessageThread,
    NoteStatus,
    OnCallShift,
    ProgressCheckIn,
    SafetyAlert,
    SafetyPlan,
    VisitPlan,
)
from tandem.care.sharing import PURPOSE
from tandem.clients.models import CareTeamMember, Client
from tandem.consent import actions as consent_actions
from tandem.consent.actions import Shown
from tandem.consent.categories import Category
from tandem.consent.decision import ConsentContext, Decision, Party, decide
from tandem.core import policy
from tandem.core.roles import Role
from tandem.organisations.models import Membership
from tandem.referrals import icd10


class Kind(models.TextChoices):
    REFERRAL = "referral", "Referral"
    APPOINTMENT = "appointment", "Appointments"
    CONSULT_NOTE = "consult_note", "Consultation notes"
    MEDICATION = "medication", "Medications"
    CHECKIN = "checkin", "Progress check-ins"
    MESSAGE = "message", "Messages"
    SAFETY = "safety", "Safety alerts"
    QUESTIONNAIRE = "questionnaire", "Questionnaire results"
    CASE_REVIEW = "case_review", "Case reviews"


#: A case review's recommendations are the psychiatric consultant's advice on the
#: treatment plan, the same kind of information as the initial consultation note's
#: recommendations, so they travel under "consultation notes". ("Progress updates"
#: is the therapist's report of how the client is doing, going the other way.)
#: (``tandem.measures.actions.record_case_review`` discloses them under the same one.)
CASE_REVIEW_CATEGORY = Category.CONSULT_NOTES


@dataclass
class Item:
    """One line of the timeline as one viewer may see it."""

    kind: str
    at: dt.datetime
    title: str
    reference: str = ""
    by: str = ""
    decision: Decision | None = None
    lines: list[tuple[str, str]] = field(default_factory=list)
    link: str = ""

    @property
    def shown(self) -> bool:
        return self.decision is None or self.decision.allowed

    @property
    def withheld_label(self) -> str:
        return "" if self.shown or self.decision is None else self.decision.withheld_label

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label


class Gate:
    """Judge, for one viewer, whether items written by other organisations may be shown.

    Items shown to the viewer's organisation are collected as they are judged;
    ``account()`` then records the first showing of each in the client's
    accounting of disclosures, in one go for the whole page.
    """

    def __init__(self, viewer: Any, client: Client, viewer_org_id: int | None) -> None:
        self.viewer = viewer
        self.client = client
        self.viewer_org_id = viewer_org_id
        self.context = ConsentContext.load([client.pk])
        self.now = timezone.now()
        self.shown: list[Shown] = []

    def __call__(
        self,
        category: str,
        org_id: int,
        author_id: int | None,
        *,
        obj: Any = None,
        description: str = "",
    ) -> Decision | None:
        """Return None for the viewer's own organisation's items, else the consent decision.

        Pass the item as ``obj`` (and how the accounting names it) when the page
        shows it once allowed, so that showing is accounted.
        """
        if self.viewer_org_id is None:
            return decide(
                self.context,
                client_id=self.client.pk,
                category=category,
                source=Party(org_id, author_id),
                recipient=Party(-1, self.viewer.pk),
                purpose=PURPOSE,
                now=self.now,
            )
        if org_id == self.viewer_org_id:
            return None
        source = Party(org_id, author_id)
        decision = decide(
            self.context,
            client_id=self.client.pk,
            category=category,
            source=source,
            recipient=Party(self.viewer_org_id, self.viewer.pk),
            purpose=PURPOSE,
            now=self.now,
        )
        if decision.allowed and obj is not None:
            self.shown.append(Shown(obj, category, source, decision, description))
        return decision

    def shown_despite(
        self, refused: Decision, obj: Any, source: Party, description: str, basis: str
    ) -> None:
        """Collect an item the page shows though consent refused it, under another ``basis``."""
        if self.viewer_org_id is not None:
            self.shown.append(
                Shown(obj, refused.category, source, refused, description, basis=basis)
            )

    def account(self) -> None:
        """Record the first showing of each item judged shown (see ``consent.actions``)."""
        if self.shown and self.viewer_org_id is not None:
            consent_actions.account_shown(
                viewer=self.viewer,
                client=self.client,
                recipient_organisation_id=self.viewer_org_id,
                purpose=PURPOSE,
                shown=self.shown,
            )
        self.shown = []


def _by(user: Any, org: Any) -> str:
    return f"{user.display_name}, {org.name}" if user is not None else org.name


def _dose(e: MedicationEvent) -> str:
    if e.dose is None:
        return ""
    return f"{e.dose.normalize():f} {e.unit} {e.frequency}".strip()


def _orgs_sharing_crisis_details(alerts: list[SafetyAlert]) -> set[int]:
    """Return which of the alerts' raising practices share crisis details without a release."""
    if not alerts:
        return set()
    return set(
        CareSettings.objects.filter(
            organisation_id__in={a.organisation_id for a in alerts},
            share_safety_details_without_release=True,
        ).values_list("organisation_id", flat=True)
    )


def _alert_item(alert: SafetyAlert, gate: Gate, open_orgs: set[int]) -> Item:
    decision = gate(
        Category.SAFETY,
        alert.organisation_id,
        alert.raised_by_id,
        obj=alert,
        description=f"Safety alert {alert.reference}",
    )
    if decision is not None and not decision.allowed and alert.organisation_id in open_orgs:
        # The practice shares crisis details under 45 CFR 164.512(j): shown, and accounted.
        gate.shown_despite(
            decision,
            alert,
            Party(alert.organisation_id, alert.raised_by_id),
            f"Safety alert {alert.reference} (serious threat)",
            SERIOUS_THREAT_BASIS,
        )
        decision = None
    return Item(
        Kind.SAFETY,
        alert.raised_at,
        # The alert's existence always shows (crisis coordination); details are gated.
        f"Safety alert — {alert.get_level_display()} — {alert.get_status_display().lower()}",
        alert.reference,
        _by(alert.raised_by, alert.organisation),
        decision,
        [("What happened", alert.summary), ("Immediate steps", alert.steps)],
        reverse("care:alert", kwargs={"alert_id": alert.public_id}),
    )


def alert_item(viewer: Any, alert: SafetyAlert) -> Item | None:
    """Return the alert as the viewer may read it on its page; None when only its existence shows.

    A care-team member reads it as on the timeline. The paged practice's on-call
    people (``access.on_call_reader``) read it as their practice does: within the
    practice that holds the client's care that is no new disclosure, and the
    raising practice's details reach them only as far as consent (or that
    practice's serious-threat setting) lets them reach the practice's care-team
    prescriber. Anyone else paged gets None.
    """
    org_id = _alert_reader_org(viewer, alert)
    if org_id is None:
        return None
    gate = Gate(viewer, alert.client, org_id)
    item = _alert_item(alert, gate, _orgs_sharing_crisis_details([alert]))
    gate.account()
    return item


def _alert_reader_org(viewer: Any, alert: SafetyAlert) -> int | None:
    """Return the organisation through which the viewer reads the alert's details, if any."""
    member = seat(viewer, alert.client)
    if member is not None:
        return member.organisation_id
    if on_call_reader(viewer, alert):
        return alert.paged_organisation_id
    return None


#: How many open alerts the banner lists; more are reached from the notifications.
BANNER_ALERTS = 5


@dataclass(frozen=True)
class OpenAlert:
    """An open alert as the banner shows it: its reference, level and link, nothing clinical."""

    reference: str
    level: str
    url: str


def open_alerts_to_answer(viewer: Any) -> tuple[list[OpenAlert], bool]:
    """Return the open, unacknowledged alerts the viewer must answer, and whether there are more.

    They are the alerts of clients on whose care team the viewer is a clinician,
    and those of the practice for which the viewer is the on-call prescriber now
    (on the rota now, or flagged on call when nobody is on the rota): both may
    open the alert (``access.alert_rule``). One query, whatever the number of
    alerts; only a reference, a level and a link, never who the client is.
    """
    if not policy.may_see_clinical_data(viewer):
        return [], False
    memberships = policy.active_memberships(viewer)
    clinician_orgs = [m.organisation_id for m in memberships if m.role in CLINICIAN_ROLES]
    if not clinician_orgs:
        return [], False
    wanted = Q(
        Exists(
            CareTeamMember.objects.filter(
                client=OuterRef("client"),
                user=viewer,
                ended_on__isnull=True,
                role__in=CLINICIAN_ROLES,
                organisation_id__in=clinician_orgs,
            )
        )
    )
    prescriber_orgs = [m.organisation_id for m in memberships if m.role == Role.PRESCRIBER]
    if prescriber_orgs:
        now = timezone.now()
        # As ``crisis.on_call_now``: the rota now, else the prescribers flagged on call.
        shifts_now = OnCallShift.objects.filter(
            organisation=OuterRef("paged_organisation"),
            starts_at__lte=now,
            ends_at__gt=now,
            user__is_active=True,
        )
        flagged = Membership.objects.filter(
            organisation=OuterRef("paged_organisation"),
            user=viewer,
            role=Role.PRESCRIBER,
            is_on_call=True,
            is_active=True,
        )
        on_call = Exists(shifts_now.filter(user=viewer)) | (~Exists(shifts_now) & Exists(flagged))
        wanted |= Q(paged_organisation_id__in=prescriber_orgs) & Q(on_call)
    rows = list(
        SafetyAlert.objects.filter(status=AlertStatus.OPEN)
        .filter(wanted)
        .order_by("-raised_at", "-pk")
        .values_list("public_id", "reference", "level")[: BANNER_ALERTS + 1]
    )
    shown = [
        OpenAlert(
            reference,
            AlertLevel(level).label.split(":")[0],
            reverse("care:alert", kwargs={"alert_id": public_id}),
        )
        for public_id, reference, level in rows[:BANNER_ALERTS]
    ]
    return shown, len(rows) > BANNER_ALERTS


def outcome_shown(viewer: Any, alert: SafetyAlert) -> bool:
    """Return whether the viewer may read the alert's recorded outcome and follow-up plan.

    The follow-up is free text written by a clinician of one practice (often where
    the client was assessed or admitted), so it reaches another practice like the
    alert's details do: under a release for safety information, or that practice's
    serious-threat setting. Whoever reads only that the alert exists (a paged
    practice off the team, or once their part is over) does not read it.
    """
    if not alert.outcome:
        return False
    org_id = _alert_reader_org(viewer, alert)
    if org_id is None:
        return False
    event = alert.events.filter(kind="outcome").order_by("-at", "-pk").first()
    actor_id = event.actor_id if event is not None else None
    source = event.detail.get("organisation") if event is not None else None
    if source is None and actor_id is not None:
        # Outcomes recorded before the event named its practice: the recorder's seat.
        source = (
            alert.client.care_team.filter(user_id=actor_id)
            .order_by("ended_on", "-pk")
            .values_list("organisation_id", flat=True)
            .first()
        )
    if source is None:
        source = alert.paged_organisation_id or alert.organisation_id
    decision = Gate(viewer, alert.client, org_id)(Category.SAFETY, source, actor_id)
    if decision is None or decision.allowed:
        return True
    return CareSettings.objects.filter(
        organisation_id=source, share_safety_details_without_release=True
    ).exists()


def timeline(
    viewer: Any, client: Client, kinds: Iterable[str] | None = None, *, checkin: str = ""
) -> list[Item]:
    """Return every item of the client's care the viewer may see, newest first.

    Items written by another organisation that no current release covers stay on
    the timeline as withheld, with the reason. The number of queries does not
    depend on the number of items. ``checkin`` (a reference) narrows the check-ins
    to the one a page shows, so only that one is accounted as shown.
    """
    wanted = set(kinds) if kinds else set(Kind.values)
    member = seat(viewer, client)
    gate = Gate(viewer, client, member.organisation_id if member else None)
    items: list[Item] = []
    if Kind.REFERRAL in wanted and member is not None:
        from tandem.referrals.models import ReferralEvent

        for ev in ReferralEvent.objects.filter(
            models.Q(referral__from_organisation_id=member.organisation_id)
            | models.Q(referral__to_organisation_id=member.organisation_id),
            referral__client=client,
        ).select_related("referral__to_organisation"):
            items.append(
                Item(
                    Kind.REFERRAL,
                    ev.at,
                    f"Referral to {ev.referral.to_organisation.name}: {ev.get_to_status_display().lower()}",
                    link=reverse("referrals:detail", kwargs={"referral_id": ev.referral.public_id}),
                )
            )
    if Kind.APPOINTMENT in wanted:
        from tandem.scheduling.models import Appointment, AppointmentStatus

        for appt in Appointment.objects.filter(
            client=client,
            status__in=[
                AppointmentStatus.CONFIRMED,
                AppointmentStatus.COMPLETED,
                AppointmentStatus.NO_SHOW,
                AppointmentStatus.CANCELLED,
            ],
        ).select_related("organisation", "prescriber", "appointment_type"):
            decision = gate(
                Category.ATTENDANCE,
                appt.organisation_id,
                appt.prescriber_id,
                obj=appt,
                description="Psychiatric appointment: date, status and type",
            )
            items.append(
                Item(
                    Kind.APPOINTMENT,
                    appt.starts_at,
                    "Psychiatric appointment",
                    by=_by(appt.prescriber, appt.organisation),
                    decision=decision,
                    lines=[
                        ("Status", appt.get_status_display()),
                        ("Type", appt.appointment_type.name),
                    ],
                )
            )
    if Kind.CONSULT_NOTE in wanted:
        for note in ConsultNote.objects.filter(client=client).select_related(
            "author", "organisation"
        ):
            if note.status != NoteStatus.SIGNED and note.author_id != viewer.pk:
                continue  # a draft is its author's alone until it is signed
            decision = gate(
                Category.CONSULT_NOTES,
                note.organisation_id,
                note.author_id,
                obj=note if note.status == NoteStatus.SIGNED else None,
                description=f"Initial consultation note {note.reference}",
            )
            items.append(
                Item(
                    Kind.CONSULT_NOTE,
                    note.signed_at or note.updated_at,
                    "Initial consultation note"
                    + (" (draft)" if note.status == NoteStatus.DRAFT else ""),
                    note.reference,
                    _by(note.author, note.organisation),
                    decision,
                    [("Diagnostic impressions", ", ".join(note.diagnoses))],
                    reverse("care:note", kwargs={"note_id": note.public_id}),
                )
            )
    if Kind.MEDICATION in wanted:
        for med in MedicationEvent.objects.filter(client=client).select_related(
            "prescriber", "organisation"
        ):
            decision = gate(
                Category.MEDICATIONS,
                med.organisation_id,
                med.prescriber_id,
                obj=med,
                description=f"Medication update {med.reference}",
            )
            items.append(
                Item(
                    Kind.MEDICATION,
                    med.occurred_at,
                    f"Medication {med.get_change_display().lower()}",
                    med.reference,
                    _by(med.prescriber, med.organisation),
                    decision,
                    [
                        ("Medication", med.drug),
                        ("Dose", _dose(med)),
                        ("Reason", med.reason),
                        ("Watch for", med.watch_for),
                    ],
                    reverse("care:medications", kwargs={"client_id": client.public_id}),
                )
            )
    if Kind.CHECKIN in wanted:
        checkins = ProgressCheckIn.objects.filter(client=client)
        if checkin:
            checkins = checkins.filter(reference=checkin)
        for c in checkins.select_related("therapist", "organisation"):
            if c.status == CheckInStatus.REQUESTED:
                items.append(
                    Item(
                        Kind.CHECKIN,
                        c.requested_at or timezone.now(),
                        "Progress check-in requested",
                        c.reference,
                        lines=[
                            (
                                "Answer by",
                                timezone.localtime(c.answer_by).strftime("%b %d, %Y")
                                if c.answer_by
                                else "",
                            )
                        ],
                        link=reverse("care:checkin", kwargs={"checkin_id": c.public_id}),
                    )
                )
                continue
            decision = gate(
                Category.PROGRESS_UPDATES,
                c.organisation_id,
                c.therapist_id,
                obj=c,
                description=f"Progress update {c.reference}",
            )
            items.append(
                Item(
                    Kind.CHECKIN,
                    c.answered_at or c.requested_at or timezone.now(),
                    "Progress update" + (" (unsolicited)" if c.unsolicited else ""),
                    c.reference,
                    _by(c.therapist, c.organisation),
                    decision,
                    [
                        ("Change since last time", c.get_change_display()),
                        ("Functioning", c.functioning),
                        ("Engagement in therapy", c.get_engagement_display()),
                        ("Adherence and side effects", c.adherence_side_effects),
                        ("Concerns", c.concerns),
                        ("Notes", c.free_text),
                    ],
                    reverse("care:checkin", kwargs={"checkin_id": c.public_id}),
                )
            )
    if Kind.MESSAGE in wanted:
        for msg in Message.objects.filter(client=client).select_related(
            "author", "organisation", "thread"
        ):
            decision = gate(
                Category.CLINICIAN_MESSAGES,
                msg.organisation_id,
                msg.author_id,
                obj=msg,
                description=f"Clinician message in thread {msg.thread.reference}",
            )
            items.append(
                Item(
                    Kind.MESSAGE,
                    msg.created_at,
                    "Question" if msg.is_question else "Message",
                    msg.thread.reference,
                    _by(msg.author, msg.organisation),
                    decision,
                    [("Thread", msg.thread.subject), ("Message", msg.body)],
                    reverse("care:thread", kwargs={"thread_id": msg.thread.public_id}),
                )
            )
    if Kind.SAFETY in wanted:
        alerts = list(
            SafetyAlert.objects.filter(client=client).select_related("raised_by", "organisation")
        )
        open_orgs = _orgs_sharing_crisis_details(alerts)
        items += [_alert_item(alert, gate, open_orgs) for alert in alerts]
    if apps.is_installed("tandem.measures"):
        items += _measures_items(client, gate, wanted)
    gate.account()
    items.sort(key=lambda i: i.at, reverse=True)
    return items


def _measures_items(client: Client, gate: Gate, wanted: set[str]) -> list[Item]:
    """Return the client's questionnaire results and case reviews as timeline items."""
    from tandem.measures.models import CaseReview, QuestionnaireResponse

    items: list[Item] = []
    if Kind.QUESTIONNAIRE in wanted:
        for r in QuestionnaireResponse.objects.filter(client=client).select_related(
            "entered_by", "organisation"
        ):
            decision = gate(
                Category.QUESTIONNAIRES,
                r.organisation_id,
                r.entered_by_id,
                obj=r,
                description=f"{r.instrument_name} result",
            )
            shown = decision is None or decision.allowed
            if r.total is None:
                score = "Incomplete: not enough answers to score"
            else:
                score = f"{r.total}" + (f" ({r.band})" if r.band else "")
            items.append(
                Item(
                    Kind.QUESTIONNAIRE,
                    r.entered_at,
                    # Even the instrument's name says something (AUDIT-C, PCL-5): withheld, it goes.
                    f"{r.instrument_name} result" if shown else "Questionnaire result",
                    by=_by(r.entered_by, r.organisation),
                    decision=decision,
                    lines=[
                        ("Score", score),
                        ("Safety", r.safety_note[:1].upper() + r.safety_note[1:]),
                        ("How given", r.get_source_display()),
                    ],
                    link=reverse("measures:response", kwargs={"response_id": r.public_id}),
                )
            )
    if Kind.CASE_REVIEW in wanted:
        for review in CaseReview.objects.filter(client=client).select_related(
            "reviewed_by", "organisation"
        ):
            items.append(
                Item(
                    Kind.CASE_REVIEW,
                    review.reviewed_at,
                    "Case review recommendations",
                    by=_by(review.reviewed_by, review.organisation),
                    decision=gate(
                        CASE_REVIEW_CATEGORY,
                        review.organisation_id,
                        review.reviewed_by_id,
                        obj=review,
                        description="Case review recommendations",
                    ),
                    lines=[("Recommendations", review.recommendations)],
                    link=reverse("measures:client", kwargs={"client_id": client.public_id})
                    + "#reviews",
                )
            )
    return items


# --- Notes -------------------------------------------------------------------------------


def note_diagnoses(note: ConsultNote) -> list[tuple[str, str]]:
    """Return (code, description) of the note's diagnostic impressions."""
    found = []
    for code in note.diagnoses:
        entry = icd10.lookup(code)
        found.append((code, entry.description if entry else ""))
    return found


def note_decision(viewer: Any, note: ConsultNote) -> Decision | None:
    """Return None when the viewer's organisation wrote the note, else the consent decision."""
    member = seat(viewer, note.client)
    gate = Gate(viewer, note.client, member.organisation_id if member else None)
    decision = gate(
        Category.CONSULT_NOTES,
        note.organisation_id,
        note.author_id,
        # A draft is never shown to another organisation; a signed note is, once allowed.
        obj=note if note.status == NoteStatus.SIGNED else None,
        description=f"Initial consultation note {note.reference}",
    )
    gate.account()
    return decision


# --- Medications -------------------------------------------------------------------------


@dataclass
class MedicationView:
    current: list[MedicationEvent]
    history: list[MedicationEvent]
    withheld: Decision | None  # set when another practice's medications are withheld


def medication_list(viewer: Any, client: Client) -> MedicationView:
    """Return the current medications and their history as the viewer may see them."""
    member = seat(viewer, client)
    gate = Gate(viewer, client, member.organisation_id if member else None)
    events = list(
        MedicationEvent.objects.filter(client=client).select_related("prescriber", "organisation")
    )
    shown, withheld = [], None
    for e in events:
        decision = gate(
            Category.MEDICATIONS,
            e.organisation_id,
            e.prescriber_id,
            obj=e,
            description=f"Medication update {e.reference}",
        )
        if decision is None or decision.allowed:
            shown.append(e)
        else:
            withheld = decision
    gate.account()
    current = sorted(active_medications(shown).values(), key=lambda e: e.drug)
    return MedicationView(current, shown, withheld)


# --- Messages ----------------------------------------------------------------------------


@dataclass
class ShownMessage:
    message: Message
    decision: Decision | None
    read_by: list[str]
    overdue: bool

    @property
    def shown(self) -> bool:
        return self.decision is None or self.decision.allowed


@dataclass
class ShownThread:
    """A thread as one viewer may see it: its subject only when consent lets it reach them."""

    thread: MessageThread
    decision: Decision | None

    @property
    def shown(self) -> bool:
        return self.decision is None or self.decision.allowed

    @property
    def title(self) -> str:
        return self.thread.subject if self.shown else f"Thread {self.thread.reference}"


def _with_origin(threads: models.QuerySet[MessageThread]) -> models.QuerySet[MessageThread]:
    first = Message.objects.filter(thread=OuterRef("pk")).order_by("created_at", "pk")
    return threads.annotate(origin_org_id=Subquery(first.values("organisation_id")[:1]))


def shown_thread(viewer: Any, thread: MessageThread) -> ShownThread:
    """Return one thread with its subject gated like its first message."""
    return shown_threads(viewer, thread.client, MessageThread.objects.filter(pk=thread.pk))[0]


def shown_threads(
    viewer: Any, client: Client, threads: models.QuerySet[MessageThread] | None = None
) -> list[ShownThread]:
    """Return the client's threads for the viewer, newest first.

    A subject is written by a clinician of one organisation and can say as much
    as a message, so it is gated under "messages between clinicians" from the
    organisation of the thread's first message, with the reference in its place.
    """
    member = seat(viewer, client)
    gate = Gate(viewer, client, member.organisation_id if member else None)
    rows = _with_origin(
        threads if threads is not None else MessageThread.objects.filter(client=client)
    ).select_related("started_by")
    shown = []
    for t in rows:
        origin: int | None = getattr(t, "origin_org_id", None)  # annotated above
        decision = (
            gate(
                Category.CLINICIAN_MESSAGES,
                origin,
                t.started_by_id,
                obj=t,
                description=f"Subject of message thread {t.reference}",
            )
            if origin is not None
            else None
        )
        shown.append(ShownThread(t, decision))
    gate.account()
    return shown


def thread_messages(
    viewer: Any, thread: MessageThread, *, account: bool = True
) -> list[ShownMessage]:
    """Return the thread's messages for the viewer: gated, with read receipts and due state.

    With ``account`` (the thread's page shows them) the first showing of each is accounted.
    """
    member = seat(viewer, thread.client)
    gate = Gate(viewer, thread.client, member.organisation_id if member else None)
    now = timezone.now()
    result = []
    for msg in (
        thread.messages.select_related("author", "organisation")
        .prefetch_related("attachments", "reads__user")
        .order_by("created_at", "pk")
    ):
        result.append(
            ShownMessage(
                msg,
                gate(
                    Category.CLINICIAN_MESSAGES,
                    msg.organisation_id,
                    msg.author_id,
                    obj=msg if account else None,
                    description=f"Clinician message in thread {thread.reference}",
                ),
                [r.user.display_name for r in msg.reads.all() if r.user_id != msg.author_id],
                bool(
                    msg.is_question and msg.answered_at is None and msg.due_at and msg.due_at < now
                ),
            )
        )
    gate.account()
    return result


def median_response_hours(organisation_id: int, since: dt.datetime | None = None) -> float | None:
    """Return the practice's median time to answer a clinician's question, in hours (None if none)."""
    qs = Message.objects.filter(
        is_question=True, answered_by_organisation_id=organisation_id, answered_at__isnull=False
    )
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    durations = [
        (answered - asked).total_seconds() / 3600
        for asked, answered in qs.values_list("created_at", "answered_at")
        if answered is not None
    ]
    return round(statistics.median(durations), 1) if durations else None


# --- Safety plan and visits --------------------------------------------------------------


@dataclass
class PlanView:
    plan: SafetyPlan | None
    sections: list[tuple[str, str, str]]  # key, heading, text
    decision: Decision | None
    versions: list[SafetyPlan]


def safety_plan(viewer: Any, client: Client) -> PlanView:
    """Return the current safety plan as the viewer may see it (the client always sees theirs)."""
    versions = list(
        SafetyPlan.objects.filter(client=client).select_related("saved_by", "organisation")
    )
    plan = versions[0] if versions else None
    decision: Decision | None = None
    if plan is not None and client.user_id != getattr(viewer, "pk", None):
        member = seat(viewer, client)
        gate = Gate(viewer, client, member.organisation_id if member else None)
        decision = gate(
            Category.SAFETY,
            plan.organisation_id,
            plan.saved_by_id,
            obj=plan,
            description="Safety plan",
        )
        if (
            decision is not None
            and not decision.allowed
            and CareSettings.objects.filter(
                organisation_id=plan.organisation_id, share_safety_details_without_release=True
            ).exists()
        ):
            gate.shown_despite(
                decision,
                plan,
                Party(plan.organisation_id, plan.saved_by_id),
                "Safety plan (serious threat)",
                SERIOUS_THREAT_BASIS,
            )
            decision = None
        gate.account()
    shown = plan is not None and (decision is None or decision.allowed)
    sections = [
        (key, heading, plan.sections.get(key, "") if shown and plan else "")
        for key, heading in SAFETY_PLAN_SECTIONS.items()
    ]
    return PlanView(plan, sections, decision, versions)


@dataclass
class VisitPlanView:
    plan: VisitPlan | None
    booked: bool  # whether a visit is booked by the time the follow-up is due

    @property
    def overdue(self) -> bool:
        return (
            self.plan is not None
            and not self.booked
            and self.plan.next_psychiatry_due < timezone.localdate()
        )


def visit_plan(client: Client) -> VisitPlanView:
    """Return the client's visit plan and whether the next follow-up is booked."""
    plan = VisitPlan.objects.filter(client=client).select_related("organisation", "set_by").first()
    return VisitPlanView(plan, follow_up_booked(plan) if plan is not None else False)


def follow_up_booked(plan: VisitPlan) -> bool:
    """Return whether a visit with the practice is booked on or before the planned due date."""
    from tandem.scheduling.models import ACTIVE_STATUSES, Appointment

    window_start = timezone.now()
    due_end = dt.datetime.combine(
        plan.next_psychiatry_due + dt.timedelta(days=1), dt.time(0), tzinfo=plan.organisation.zone
    )
    return Appointment.objects.filter(
        client=plan.client,
        organisation_id=plan.organisation_id,
        status__in=ACTIVE_STATUSES,
        starts_at__gte=window_start,
        starts_at__lt=due_end + dt.timedelta(days=14),
    ).exists()
