"""Reads of referrals for the inbox, the tracker and the packet — scoped and consent-gated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone

from tandem.consent import actions as consent_actions
from tandem.consent import selectors as consent_selectors
from tandem.consent.categories import PART2_NOTICE, Category, Purpose
from tandem.consent.decision import ConsentContext, Decision, Party, decide
from tandem.core import policy
from tandem.core.policy import Action
from tandem.organisations.models import Organisation, OrganisationKind
from tandem.referrals import eligibility, icd10, states
from tandem.referrals.access import practice_org_ids, side_of
from tandem.referrals.models import (
    INBOX_ORDER,
    DiagnosticQuestion,
    PracticePolicy,
    Referral,
    ReferralAttachment,
    ReferralEvent,
    ReferralReason,
)
from tandem.referrals.models import ReferralStatus as S

INBOX_STATES = (
    S.SENT,
    S.RECEIVED,
    S.INFO_REQUESTED,
    S.ACCEPTED,
    S.SCHEDULED,
    S.NO_SHOW,
    S.FIRST_VISIT_DONE,
)


def inbox(actor: Any, organisation_id: int | None = None) -> models.QuerySet[Referral]:
    """Return the open referrals sent to the actor's practice(s), in working order.

    Referrals still waiting for the practice's first response come first (urgent
    ones on top, then by due time); those already answered follow, oldest answer
    first, so an overdue unanswered referral is never buried under accepted ones.
    """
    qs = policy.scope(actor, Action.VIEW, Referral.objects.all()).filter(
        to_organisation_id__in=practice_org_ids(actor), status__in=INBOX_STATES
    )
    if organisation_id is not None:
        qs = qs.filter(to_organisation_id=organisation_id)
    return qs.select_related(
        "therapist", "from_organisation", "to_organisation", "client"
    ).order_by(*INBOX_ORDER)  # matches the partial index referral_inbox_order_idx


#: The packet's free text and lists: the tracker's cards show none of it.
PACKET_TEXT = (
    "reasons",
    "symptoms_tried",
    "diagnostic_questions",
    "diagnoses",
    "treatment_history",
    "medications",
    "safety_notes",
    "substance_use",
    "medical_history",
    "recent_scores",
    "contact_preferences",
    "info_request",
    "info_response",
)


def tracker(actor: Any) -> models.QuerySet[Referral]:
    """Return the referrals the actor made, newest first, without their packets' text.

    Read through the therapist index: the rows of one therapist, never the table's.
    """
    return (
        policy.scope(actor, Action.VIEW, Referral.objects.all())
        .filter(therapist=actor)
        .select_related("to_organisation", "client", "redirect_to")
        .defer(*PACKET_TEXT)
        .order_by("-created_at", "-pk")
    )


def time_left(referral: Referral, now: dt.datetime | None = None) -> dt.timedelta | None:
    """Return the time until the response is due (negative when overdue); None once answered."""
    return time_left_until(referral.due_at, referral.responded_at, now)


def time_left_until(
    due_at: dt.datetime | None, responded_at: dt.datetime | None, now: dt.datetime | None = None
) -> dt.timedelta | None:
    """Return ``time_left`` from a referral's values (a list read as values, not instances)."""
    if due_at is None or responded_at is not None:
        return None
    return due_at - (now or timezone.now())


@dataclass(frozen=True)
class LateAnswer:
    """The practice's answer is overdue: by how long, and whom the clock has told."""

    by: dt.timedelta
    level: int  # Referral.overdue_level: 0 not processed yet, 1 team told, 2 escalated

    @property
    def who_was_told(self) -> str:
        if self.level >= 2:
            return "Tandem reminded its team and told its on-call prescriber."
        return "Tandem reminded its team." if self.level == 1 else ""


def late_answer(referral: Referral, now: dt.datetime | None = None) -> LateAnswer | None:
    """Return how late the practice is to answer the referral, for its therapist; None if not."""
    return late_answer_from(referral.due_at, referral.responded_at, referral.overdue_level, now)


def late_answer_from(
    due_at: dt.datetime | None,
    responded_at: dt.datetime | None,
    overdue_level: int,
    now: dt.datetime | None = None,
) -> LateAnswer | None:
    """Return ``late_answer`` from a referral's values (a list read as values, not instances)."""
    left = time_left_until(due_at, responded_at, now)
    if left is None or left >= dt.timedelta(0):
        return None
    return LateAnswer(-left, overdue_level)


def waiting_for(referral: Referral) -> tuple[str, str]:
    """Return (side, what) the referral is waiting for."""
    return states.WAITING_FOR[referral.status]


@dataclass
class Section:
    key: str
    title: str
    category: str
    decision: Decision | None
    content: dict[str, Any] = field(default_factory=dict)
    #: Why the viewer's role does not get this section (minimum necessary); "" when it does.
    role_withheld: str = ""

    @property
    def shown(self) -> bool:
        return not self.role_withheld and (self.decision is None or self.decision.allowed)

    @property
    def withheld_label(self) -> str:
        """Return the line shown in place of the section: why it is not shown."""
        if self.role_withheld:
            return self.role_withheld
        return self.decision.withheld_label if self.decision is not None else ""


def _section_category(key: str, referral: Referral) -> str:
    if key == "substance_use" and referral.substance_use_part2:
        return Category.PART2_RECORDS
    return {
        "reasons": Category.TREATMENT_HISTORY,
        "diagnoses": Category.DIAGNOSIS,
        "treatment_history": Category.TREATMENT_HISTORY,
        "medications": Category.MEDICATIONS,
        "safety": Category.SAFETY,
        "substance_use": Category.SUBSTANCE_USE,
        "medical_history": Category.MEDICAL_HISTORY,
        "recent_scores": Category.QUESTIONNAIRES,
    }[key]


def _content(key: str, r: Referral) -> dict[str, Any]:
    if key == "reasons":
        return {
            "reasons": [ReferralReason(v).label for v in r.reasons],
            "symptoms_tried": r.symptoms_tried,
            "questions": [DiagnosticQuestion(v).label for v in r.diagnostic_questions],
        }
    if key == "diagnoses":
        return {"codes": [icd10.lookup(c) or icd10.Code(c, "") for c in r.diagnoses]}
    if key == "treatment_history":
        return {"text": r.treatment_history}
    if key == "medications":
        return {"rows": r.medications}
    if key == "safety":
        return {
            "ideation": r.safety_ideation,
            "self_harm": r.safety_self_harm,
            "psychosis": r.safety_psychosis,
            "hospitalisation": r.safety_hospitalisation,
            "notes": r.safety_notes,
        }
    if key == "substance_use":
        # Part 2 records never reach a reader without the 42 CFR 2.32 notice.
        notice = PART2_NOTICE if r.substance_use_part2 else ""
        return {"text": r.substance_use, "part2": r.substance_use_part2, "notice": notice}
    if key == "medical_history":
        return {"text": r.medical_history}
    return {"rows": r.recent_scores}


SECTION_TITLES = {
    "reasons": "Reasons for referral",
    "diagnoses": "Diagnosis and diagnostic considerations (ICD-10-CM)",
    "treatment_history": "Treatment history and response",
    "medications": "Current medications",
    "safety": "Safety concerns",
    "substance_use": "Substance use",
    "medical_history": "Medical history",
    "recent_scores": "Recent questionnaire scores",
}


class ReleasesOnce:
    """The client's releases for the consent decisions of one page, loaded at most once.

    The referral page decides for its packet, attachments, visit and history; one
    of these passed to each makes that one load instead of four.
    """

    def __init__(self, *client_ids: int) -> None:
        self.client_ids = client_ids
        self._context: ConsentContext | None = None

    def __call__(self) -> ConsentContext:
        if self._context is None:
            self._context = ConsentContext.load(self.client_ids)
        return self._context


def packet(
    viewer: Any, referral: Referral, side: str, *, releases: ReleasesOnce | None = None
) -> list[Section]:
    """Return the packet's sections as ``viewer`` may see them.

    The therapist sees everything they wrote. The practice sees a section only
    when the consent decision point allows that category from the therapist's
    practice to the practice; the first time it does, the disclosure is recorded
    in the client's accounting. Costs a constant number of queries.
    """
    sections, shown = _packet_sections(viewer, referral, side, releases)
    if shown is not None:
        consent_actions.account_shown(
            viewer=viewer,
            client=referral.client,
            recipient_organisation_id=referral.to_organisation_id,
            purpose=Purpose.REFERRAL,
            shown=shown,
        )
    return sections


def packets(viewer: Any, referrals: list[Referral]) -> dict[int, list[Section]]:
    """Return each referral's packet as ``viewer`` may see it (by referral pk), for a page.

    The same decisions as ``packet``, with the releases of every client on the page
    loaded once and the page's first showings accounted in one go: the page's
    queries do not grow with its number of referrals.
    """
    releases = ReleasesOnce(*{r.client_id for r in referrals})
    out: dict[int, list[Section]] = {}
    pages = []
    for referral in referrals:
        sections, shown = _packet_sections(viewer, referral, side_of(viewer, referral), releases)
        out[referral.pk] = sections
        if shown is not None:
            pages.append((referral.client, referral.to_organisation_id, shown))
    consent_actions.account_shown_many(viewer=viewer, purpose=Purpose.REFERRAL, pages=pages)
    return out


def _packet_sections(
    viewer: Any, referral: Referral, side: str, releases: ReleasesOnce | None
) -> tuple[list[Section], list[consent_actions.Shown] | None]:
    """Return the sections as ``viewer`` may see them, and what crosses practices (or None)."""
    keys = list(SECTION_TITLES)
    if side == states.THERAPIST:
        return [
            Section(
                k, SECTION_TITLES[k], _section_category(k, referral), None, _content(k, referral)
            )
            for k in keys
        ], None
    # Minimum necessary first: a role that does not need the clinical sections gets none, and
    # nothing is disclosed to the practice by its view.
    role_withheld = policy.withheld_reason(
        viewer, referral.to_organisation_id, policy.RecordSection.CLINICAL
    )
    if role_withheld:
        return [
            Section(k, SECTION_TITLES[k], _section_category(k, referral), None, {}, role_withheld)
            for k in keys
        ], None
    context = (releases or ReleasesOnce(referral.client_id))()
    source = Party(referral.from_organisation_id, referral.therapist_id)
    recipient = Party(referral.to_organisation_id, viewer.pk)
    sections, shown = [], []
    for key in keys:
        category = _section_category(key, referral)
        decision = decide(
            context,
            client_id=referral.client_id,
            category=category,
            source=source,
            recipient=recipient,
            purpose=Purpose.REFERRAL,
        )
        if decision.allowed:
            shown.append(
                consent_actions.Shown(
                    referral, category, source, decision, SECTION_TITLES[key], section=key
                )
            )
        sections.append(
            Section(
                key,
                SECTION_TITLES[key],
                category,
                decision,
                _content(key, referral) if decision.allowed else {},
            )
        )
    return sections, shown


def referral_practices() -> models.QuerySet[Organisation]:
    """Return the active psychiatric practices that take referrals through Tandem."""
    return Organisation.objects.filter(
        kind=OrganisationKind.PSYCHIATRIC_PRACTICE,
        is_active=True,
        referral_policy__isnull=False,
    ).order_by("name")


def practices_that_fit(
    facts: eligibility.Facts, *, exclude_id: int | None = None
) -> list[Organisation]:
    """Return the other active practices whose policy the client fits (one query for all)."""
    policies = (
        PracticePolicy.objects.filter(
            organisation__kind=OrganisationKind.PSYCHIATRIC_PRACTICE, organisation__is_active=True
        )
        .select_related("organisation")
        .order_by("organisation__name")
    )
    if exclude_id is not None:
        policies = policies.exclude(organisation_id=exclude_id)
    return [p.organisation for p in policies if not eligibility.check(p, facts)]


@dataclass
class VisibleAttachment:
    attachment: ReferralAttachment
    decision: Decision | None
    #: Why the viewer's role does not get it (minimum necessary); "" when it does.
    role_withheld: str = ""

    @property
    def shown(self) -> bool:
        return not self.role_withheld and (self.decision is None or self.decision.allowed)

    @property
    def withheld_label(self) -> str:
        """Return the line shown in place of the document: why it is not shown."""
        if self.role_withheld:
            return self.role_withheld
        return self.decision.withheld_label if self.decision is not None else ""

    @property
    def category_label(self) -> str:
        category = self.attachment.category
        return Category(category).label if category in Category.values else category

    @property
    def part2_notice(self) -> str:
        """Return the 42 CFR 2.32 notice a Part 2 document carries to its reader, else ""."""
        return PART2_NOTICE if self.attachment.category == Category.PART2_RECORDS else ""


def attachments(
    viewer: Any, referral: Referral, side: str, *, releases: ReleasesOnce | None = None
) -> list[VisibleAttachment]:
    """Return the referral's attachments as ``viewer`` may see them.

    The practice sees an attachment only when the consent decision point allows
    its category; seeing it is a disclosure, recorded once per attachment.
    """
    rows = list(referral.attachments.order_by("uploaded_at", "pk"))
    if side == states.THERAPIST or not rows:
        return [VisibleAttachment(a, None) for a in rows]
    role_withheld = policy.withheld_reason(
        viewer, referral.to_organisation_id, policy.RecordSection.CLINICAL
    )
    if role_withheld:
        return [VisibleAttachment(a, None, role_withheld) for a in rows]
    context = (releases or ReleasesOnce(referral.client_id))()
    source = Party(referral.from_organisation_id, referral.therapist_id)
    recipient = Party(referral.to_organisation_id, viewer.pk)
    visible, shown = [], []
    for item in rows:
        decision = decide(
            context,
            client_id=referral.client_id,
            category=item.category,
            source=source,
            recipient=recipient,
            purpose=Purpose.REFERRAL,
        )
        if decision.allowed:
            shown.append(
                consent_actions.Shown(item, item.category, source, decision, "Referral attachment")
            )
        visible.append(VisibleAttachment(item, decision))
    consent_actions.account_shown(
        viewer=viewer,
        client=referral.client,
        recipient_organisation_id=referral.to_organisation_id,
        purpose=Purpose.REFERRAL,
        shown=shown,
    )
    return visible


@dataclass
class VisibleVisit:
    """The appointment a scheduled referral carries, as one viewer may see it."""

    appointment: Any
    decision: Decision | None

    @property
    def shown(self) -> bool:
        return self.decision is None or self.decision.allowed

    @property
    def confirmed(self) -> bool:
        return bool(self.appointment.status == "confirmed")


def scheduled_visit(
    viewer: Any, referral: Referral, side: str, *, releases: ReleasesOnce | None = None
) -> VisibleVisit | None:
    """Return the appointment the referral carries, as ``viewer`` may see it; None if none.

    The practice sees its own appointment. The therapist sees its date and
    prescriber only when the consent decision point allows appointment
    attendance from the practice to the therapist's practice; the first time it
    does, the disclosure is recorded in the client's accounting (``account_shown``).
    """
    if referral.appointment_id is None:
        return None
    # Read through the referral's foreign key: referrals sits below scheduling.
    carrier = Referral.objects.select_related("appointment__prescriber").filter(pk=referral.pk)
    visit = next((r.appointment for r in carrier), None)
    if visit is None:
        return None
    if side == states.PRACTICE:
        return VisibleVisit(visit, None)
    category = Category.ATTENDANCE
    source = Party(visit.organisation_id, visit.prescriber_id)
    recipient = Party(referral.from_organisation_id, viewer.pk)
    decision = decide(
        (releases or ReleasesOnce(referral.client_id))(),
        client_id=referral.client_id,
        category=category,
        source=source,
        recipient=recipient,
        purpose=Purpose.REFERRAL,
    )
    consent_actions.account_shown(
        viewer=viewer,
        client=referral.client,
        recipient_organisation_id=referral.from_organisation_id,
        purpose=Purpose.REFERRAL,
        shown=[
            consent_actions.Shown(
                visit,
                category,
                source,
                decision,
                "Referral: date and prescriber of the scheduled appointment",
            )
        ],
    )
    return VisibleVisit(visit, decision)


#: Practice moves made once it has seen (or missed) the client: their notes carry what it learnt.
#: The practice's notes on these moves are clinical or attendance detail about the client,
#: shared with the therapist's practice under the category named here.
_NOTE_CATEGORY: dict[str, str] = {
    S.SCHEDULED: Category.ATTENDANCE,  # "when, and with whom": the same facts as an appointment
    S.NO_SHOW: Category.ATTENDANCE,
    S.FIRST_VISIT_DONE: Category.CONSULT_NOTES,
    S.CONSULT_NOTE_SENT: Category.CONSULT_NOTES,
    S.CLOSED: Category.CONSULT_NOTES,
}
_CLINICAL_NOTE_MOVES = frozenset(_NOTE_CATEGORY)


@dataclass
class HistoryEntry:
    """One state change as a viewer may read it: the note, or that it was withheld."""

    event: ReferralEvent
    note: str
    withheld: bool


def history(
    viewer: Any,
    referral: Referral,
    side: str,
    *,
    therapist_text_shown: bool,
    releases: ReleasesOnce | None = None,
) -> list[HistoryEntry]:
    """Return the referral's state changes with the notes ``viewer`` may read.

    A note crosses to the other organisation only as consent allows: the
    therapist's (an answer, a reason for cancelling) when treatment history is
    released to the practice (``therapist_text_shown``); the practice's, written
    from scheduling on, when the category in ``_NOTE_CATEGORY`` (appointment
    attendance, or consultation notes) is released to the therapist's practice —
    the first time, recorded in the client's accounting. Costs a constant number
    of queries, however many notes are newly released.
    """
    events = list(
        # The actor's name is all a step shows of them (``User.display_name``).
        referral.events.select_related("actor").only(
            "referral",
            "from_status",
            "to_status",
            "actor",
            "at",
            "note",
            "actor__preferred_name",
            "actor__full_name",
            "actor__email",
        )
    )

    def by_practice(e: ReferralEvent) -> bool:
        return e.actor_id is not None and e.actor_id != referral.therapist_id

    gated = [
        e
        for e in events
        if side == states.THERAPIST
        and e.note
        and by_practice(e)
        and e.to_status in _CLINICAL_NOTE_MOVES
    ]
    decisions: dict[int, Decision] = {}
    if gated:
        context = (releases or ReleasesOnce(referral.client_id))()
        recipient = Party(referral.from_organisation_id, viewer.pk)
        first_shown: list[consent_actions.Shown] = []
        for e in gated:
            source = Party(referral.to_organisation_id, e.actor_id)
            category = _NOTE_CATEGORY[e.to_status]
            decision = decide(
                context,
                client_id=referral.client_id,
                category=category,
                source=source,
                recipient=recipient,
                purpose=Purpose.REFERRAL,
            )
            if decision.allowed:
                first_shown.append(
                    consent_actions.Shown(
                        e,
                        category,
                        source,
                        decision,
                        f"Referral history: the practice's note ({S(e.to_status).label.lower()})",
                    )
                )
            decisions[e.pk] = decision
        consent_actions.account_shown(
            viewer=viewer,
            client=referral.client,
            recipient_organisation_id=referral.from_organisation_id,
            purpose=Purpose.REFERRAL,
            shown=first_shown,
        )
    entries = []
    for e in events:
        if e.pk in decisions:
            shown = decisions[e.pk].allowed
        elif side == states.PRACTICE and e.actor_id == referral.therapist_id:
            shown = therapist_text_shown
        else:
            shown = True
        entries.append(HistoryEntry(e, e.note if shown else "", bool(e.note) and not shown))
    return entries


#: Moves made from the detail page's forms (sending happens in the editor).
MOVABLE = frozenset({to for (_, to) in states.TRANSITIONS}) - {S.SENT}


def available_moves(referral: Referral, side: str) -> list[str]:
    """Return the states ``side`` may move the referral to now, in the loop's order."""
    targets = [
        to
        for (frm, to), who in states.TRANSITIONS.items()
        if frm == referral.status and who == side and to in MOVABLE
    ]
    return targets


def _filled(key: str, r: Referral) -> bool:
    """Return whether the therapist wrote anything in the section ``key``."""
    content = _content(key, r)
    if key == "safety":
        return any(content.values())
    if key == "substance_use":
        return bool(content["text"])
    return any(bool(v) for v in content.values())


@dataclass(frozen=True)
class ConsentGap:
    """The parts of a packet no release lets the receiving practice see, and the next step."""

    categories: list[str]
    labels: list[str]
    reason: str
    request_url: str


def consent_gap(referral: Referral, *, releases: ReleasesOnce | None = None) -> ConsentGap | None:
    """Return what of the written packet the practice's clinicians would not see, or None.

    Judged for the receiving practice as a whole (whoever reads it there), before
    anything is sent or triaged, so the therapist or the coordinator can ask for a
    release first. No disclosure is recorded: nothing is shown.
    """
    context = (releases or ReleasesOnce(referral.client_id))()
    source = Party(referral.from_organisation_id, referral.therapist_id)
    recipient = Party(referral.to_organisation_id)
    missing: dict[str, str] = {}
    reason = ""
    for key in SECTION_TITLES:
        if not _filled(key, referral):
            continue
        category = _section_category(key, referral)
        decision = decide(
            context,
            client_id=referral.client_id,
            category=category,
            source=source,
            recipient=recipient,
            purpose=Purpose.REFERRAL,
        )
        if not decision.allowed:
            missing.setdefault(category, SECTION_TITLES[key])
            reason = reason or decision.message
    if not missing:
        return None
    return ConsentGap(
        categories=list(missing),
        labels=list(missing.values()),
        reason=reason,
        request_url=consent_selectors.release_request_url(
            referral.client,
            categories=list(missing),
            source=referral.from_organisation,
            recipient=referral.to_organisation,
        ),
    )


#: How far back a decline by the same practice is worth a warning before referring again.
RECENT_DECLINE_DAYS = 90


@dataclass(frozen=True)
class EarlierDecline:
    referral: Referral
    days_ago: int

    @property
    def when(self) -> str:
        """Return "today", "yesterday" or "12 days ago", as a clinician says it."""
        if self.days_ago == 0:
            return "today"
        return "yesterday" if self.days_ago == 1 else f"{self.days_ago} days ago"


def earlier_decline(referral: Referral) -> EarlierDecline | None:
    """Return the practice's most recent decline of this client in the last 90 days, if any.

    Shown on the draft before "Send": the therapist who refers the client again to a
    practice that declined them lately sees why, and the practice it suggested instead.
    Only referrals from the draft's own practice count (the caller holds the draft
    through the referrals door): nothing is shown that the practice had not been sent.
    """
    now = timezone.now()
    declined = (
        Referral.objects.filter(
            client_id=referral.client_id,
            from_organisation_id=referral.from_organisation_id,
            to_organisation_id=referral.to_organisation_id,
            status=S.DECLINED,
            responded_at__gte=now - dt.timedelta(days=RECENT_DECLINE_DAYS),
        )
        .exclude(pk=referral.pk)
        .select_related("redirect_to")
        .only("responded_at", "decline_reason", "decline_note", "redirect_to__name")
        .order_by("-responded_at", "-pk")
        .first()
    )
    if declined is None or declined.responded_at is None:
        return None
    days = (timezone.localdate(now) - timezone.localdate(declined.responded_at)).days
    return EarlierDecline(declined, days)
