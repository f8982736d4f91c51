"""Writes of the referral loop. Each is atomic, audited, and tells the other side after commit."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.categories import Category
from tandem.consent.uploads import check_pdf
from tandem.core import policy
from tandem.core.policy import Action, Forbidden
from tandem.core.roles import Role
from tandem.core.textlimits import NOTE
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.organisations.models import Membership, Organisation, OrganisationKind
from tandem.referrals import eligibility, icd10, signals, states
from tandem.referrals.access import side_of
from tandem.referrals.models import (
    DeclineReason,
    DiagnosticQuestion,
    PracticePolicy,
    Referral,
    ReferralAttachment,
    ReferralEvent,
    ReferralReason,
)
from tandem.referrals.models import ReferralStatus as S
from tandem.referrals.states import StaleReferralError as StaleReferralError
from tandem.referrals.states import TransitionError


class IneligibleError(Exception):
    """The client does not fit the practice; nothing was created or sent."""

    def __init__(self, mismatches: list[eligibility.Mismatch]) -> None:
        super().__init__("; ".join(m.message for m in mismatches))
        self.mismatches = mismatches


#: Packet fields the therapist edits while drafting (autosaved as they type).
DRAFT_FIELDS = (
    "reasons",
    "symptoms_tried",
    "diagnostic_questions",
    "diagnoses",
    "treatment_history",
    "medications",
    "safety_ideation",
    "safety_self_harm",
    "safety_psychosis",
    "safety_hospitalisation",
    "safety_notes",
    "substance_use",
    "substance_use_part2",
    "medical_history",
    "recent_scores",
    "contact_preferences",
)


#: The packet's free-text fields; each holds up to NOTE characters.
PACKET_TEXT = (
    "symptoms_tried",
    "treatment_history",
    "safety_notes",
    "substance_use",
    "medical_history",
)


#: The packet's one-line fields and their limits (the model columns' lengths).
PACKET_LINES = {"contact_preferences": Referral._meta.get_field("contact_preferences").max_length}


def _link(referral: Referral) -> str:
    return reverse("referrals:detail", kwargs={"referral_id": referral.public_id})


def _practice_staff(org_id: int, roles: Iterable[str]) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organisation_id=org_id, role__in=list(roles), is_active=True
        ).select_related("user")
    ]


def _on_call(org_id: int) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organisation_id=org_id, role=Role.PRESCRIBER, is_on_call=True, is_active=True
        ).select_related("user")
    ]


def eligibility_facts(
    client: Client, *, visit_state: str, payer: str, plan_type: str, service: str
) -> eligibility.Facts:
    """Return the facts checked against a practice's policy, age from the client's record."""
    return eligibility.Facts(
        age=eligibility.age_on(client.date_of_birth, timezone.localdate()),
        visit_state=visit_state,
        payer=payer,
        plan_type=plan_type,
        service=service,
    )


def start_referral(
    *,
    actor: User,
    client: Client,
    to_organisation: Organisation,
    visit_state: str,
    payer: str,
    plan_type: str,
    service: str,
    idempotency_key: uuid.UUID,
) -> Referral:
    """Check eligibility, then open a draft referral (one per click, however often it is posted).

    Raises IneligibleError, with every mismatch in plain words, before anything is stored.
    """
    if not policy.allows(actor, Action.CHANGE, client):
        raise Forbidden("Only the client's therapist can refer them.")
    therapist_membership = next(
        (
            m
            for m in policy.active_memberships(actor)
            if m.role == Role.THERAPIST
            and CareTeamMember.objects.filter(
                client=client, user=actor, organisation_id=m.organisation_id, ended_on__isnull=True
            ).exists()
        ),
        None,
    )
    if therapist_membership is None:
        raise Forbidden("Only the client's therapist can refer them.")
    if (
        to_organisation.kind != OrganisationKind.PSYCHIATRIC_PRACTICE
        or not to_organisation.is_active
    ):
        raise ValidationError({"to_organisation": "Choose an active psychiatric practice."})
    practice_policy = PracticePolicy.objects.filter(organisation=to_organisation).first()
    if practice_policy is None:
        raise ValidationError(
            {"to_organisation": "This practice does not take referrals through Tandem yet."}
        )
    facts = eligibility_facts(
        client, visit_state=visit_state, payer=payer, plan_type=plan_type, service=service
    )
    mismatches = eligibility.check(practice_policy, facts)
    if mismatches:
        raise IneligibleError(mismatches)
    existing = Referral.objects.filter(therapist=actor, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                client=client,
                therapist=actor,
                from_organisation_id=therapist_membership.organisation_id,
                to_organisation=to_organisation,
                idempotency_key=idempotency_key,
                visit_state=visit_state,
                payer=payer,
                plan_type=plan_type,
                service=service,
            )
            ReferralEvent.objects.create(referral=referral, to_status=S.DRAFT, actor=actor)
            states.record_version(referral, packet_changed=True)
            record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=referral,
                client=client,
                actor_role=Role.THERAPIST,
            )
    except IntegrityError:
        # Two tabs raced with the same key: the other one won; use its draft.
        return Referral.objects.get(therapist=actor, idempotency_key=idempotency_key)
    return referral


def _clean_packet(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Return (fields that are well formed, errors naming the others). Never raises."""
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in DRAFT_FIELDS:
        if name not in data:
            continue
        value = data[name]
        limit = NOTE if name in PACKET_TEXT else PACKET_LINES.get(name)
        if limit is not None and len(value) > limit:
            errors[name] = [f"Up to {limit:,} characters; this has {len(value):,}."]
            continue
        if name == "reasons":
            bad = [v for v in value if v not in ReferralReason.values]
            if bad:
                errors[name] = [f"Unknown referral reason: {', '.join(bad)}."]
                continue
        elif name == "diagnostic_questions":
            bad = [v for v in value if v not in DiagnosticQuestion.values]
            if bad:
                errors[name] = [f"Unknown diagnostic question: {', '.join(bad)}."]
                continue
        elif name == "diagnoses":
            codes, unknown = [], []
            for raw in value:
                found = icd10.lookup(raw)
                (codes.append(found.code) if found else unknown.append(raw))
            if unknown:
                errors[name] = [
                    f"Not a billable ICD-10-CM code Tandem accepts: {', '.join(unknown)}. "
                    "Search by name and pick a code from the list."
                ]
                clean[name] = codes  # keep the good ones; the form keeps the typed text
                continue
            value = list(dict.fromkeys(codes))
        elif name == "medications":
            rows = []
            for row in value:
                if not str(row.get("name", "")).strip():
                    continue
                kind = row.get("kind", "psychiatric")
                if kind not in ("psychiatric", "supplement", "medical"):
                    errors[name] = [
                        "Each medication is psychiatric, a supplement, or a medical prescription."
                    ]
                    break
                rows.append(
                    {
                        "name": str(row["name"]).strip()[:120],
                        "dose": str(row.get("dose", "")).strip()[:80],
                        "kind": kind,
                    }
                )
            else:
                value = rows
            if name in errors:
                continue
        clean[name] = value
    return clean, errors


@transaction.atomic
def save_draft(
    *,
    actor: User,
    referral: Referral,
    data: dict[str, Any],
    base_version: int | None = None,
) -> dict[str, list[str]]:
    """Store what the therapist has typed so far; return problems without losing anything valid.

    An autosave passes the ``base_version`` its page last saw; if the draft has been
    saved since (a button's full save that overtook it, or another window), the
    autosave carries an older picture of the form and is refused with
    StaleReferralError instead of undoing the newer save.
    """
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if side_of(actor, referral) != states.THERAPIST:
        raise Forbidden("Only the referring therapist edits the referral.")
    if referral.status != S.DRAFT:
        raise TransitionError("This referral has been sent; its packet can no longer be edited.")
    if base_version is not None and base_version != referral.version:
        raise StaleReferralError(
            "This draft was saved from another window a moment ago, so this change was not "
            "saved automatically. Press Save draft to keep what is on this page, or reload the "
            "page to see the other version."
        )
    clean, errors = _clean_packet(data)
    for name, value in clean.items():
        setattr(referral, name, value)
    referral.version += 1
    referral.save()
    states.record_version(referral, packet_changed=True)
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=referral,
        client=referral.client,
        detail={"fields": sorted(clean)},
        actor_role=Role.THERAPIST,
    )
    return errors


def packet_errors(referral: Referral) -> dict[str, list[str]]:
    """Return what must be fixed before the referral can be sent."""
    errors: dict[str, list[str]] = {}
    if not referral.reasons:
        errors["reasons"] = ["Give at least one reason for the referral."]
    if (
        ReferralReason.TREATMENT_RESISTANT in referral.reasons
        and not referral.symptoms_tried.strip()
    ):
        errors["symptoms_tried"] = ["Say what was tried in therapy, and for how long."]
    if (
        ReferralReason.DIAGNOSTIC_UNCERTAINTY in referral.reasons
        and not referral.diagnostic_questions
    ):
        errors["diagnostic_questions"] = ["Say which diagnostic question you are asking."]
    _, shape = _clean_packet({name: getattr(referral, name) for name in DRAFT_FIELDS})
    for name, messages in shape.items():
        errors.setdefault(name, []).extend(messages)
    return errors


def is_urgent(referral: Referral) -> bool:
    """Return whether safety concerns make this referral urgent."""
    return ReferralReason.SAFETY in referral.reasons or any(
        (referral.safety_ideation, referral.safety_self_harm, referral.safety_psychosis)
    )


def send_referral(*, actor: User, referral: Referral) -> Referral:
    """Send the draft to the practice and start its response clock. Sending twice sends once."""
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("to_organisation__referral_policy", "client")
            .get(pk=referral.pk)
        )
        if side_of(actor, referral) != states.THERAPIST:
            raise Forbidden("Only the referring therapist sends the referral.")
        if referral.status != S.DRAFT:
            return referral  # a double click or a retried POST: already sent, nothing more to do
        errors = packet_errors(referral)
        if errors:
            raise ValidationError(errors)
        states.check(referral.status, S.SENT, states.THERAPIST)
        now = timezone.now()
        practice_policy = referral.to_organisation.referral_policy
        referral.urgent = is_urgent(referral)
        referral.sent_at = now
        if referral.urgent:
            referral.due_at = now + dt.timedelta(hours=practice_policy.urgent_response_hours)
        else:
            referral.due_at = practice_policy.calendar().due(
                now, practice_policy.response_target_days
            )
        states.move(referral, S.SENT, actor=actor, side=states.THERAPIST)
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=referral,
            client=referral.client,
            organisation=referral.to_organisation,
            detail={"status": S.SENT, "urgent": referral.urgent},
            actor_role=Role.THERAPIST,
        )
        org_id = referral.to_organisation_id
        notify(
            _practice_staff(org_id, (Role.COORDINATOR, Role.PRACTICE_ADMIN)),
            NotificationKind.REFERRAL_UPDATE,
            _link(referral),
            reference=referral.reference,
            about=referral.client_id,
        )
        if referral.urgent:
            notify(
                _on_call(org_id),
                NotificationKind.REFERRAL_URGENT,
                _link(referral),
                reference=referral.reference,
                about=referral.client_id,
            )
        signals.response_clock_due.send(
            sender=Referral, referral_id=referral.pk, level=1, due_at=referral.due_at
        )
    return referral


#: Still waiting for the practice's first response in these states.
_UNANSWERED = frozenset({S.SENT})


def mark_overdue(referral_id: int, level: int) -> None:
    """Mark an unanswered referral overdue and tell the practice; escalate a business day later.

    Level 1 runs at the due time and tells the coordinators and admins; level 2
    runs at the close of the next business day and tells them again, with the
    on-call prescriber. Idempotent: a level already reached is not repeated.
    """
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("to_organisation__referral_policy")
            .filter(pk=referral_id)
            .first()
        )
        if referral is None or referral.status not in _UNANSWERED or referral.responded_at:
            return
        if referral.overdue_level >= level:
            return
        referral.overdue_level = level
        referral.save(update_fields=["overdue_level"])
        org_id = referral.to_organisation_id
        staff = _practice_staff(org_id, (Role.COORDINATOR, Role.PRACTICE_ADMIN))
        if level >= 2:
            staff += _on_call(org_id)
        notify(
            staff,
            NotificationKind.REFERRAL_OVERDUE,
            _link(referral),
            dedupe_key=f"referral-overdue:{referral.public_id}:{level}",
            reference=referral.reference,
            about=referral.client_id,
        )
        if level == 1:
            calendar = referral.to_organisation.referral_policy.calendar()
            local_due = calendar.local(referral.due_at).date() if referral.due_at else None
            if local_due is not None:
                signals.response_clock_due.send(
                    sender=Referral,
                    referral_id=referral.pk,
                    level=2,
                    due_at=calendar.close_of(calendar.next_business_day(local_due)),
                )


def _problems(
    referral: Referral,
    target: str,
    *,
    note: str,
    decline_reason: str,
    redirect_to: Organisation | None,
    assigned_prescriber: User | None,
) -> dict[str, list[str]]:
    """Return what is missing or wrong in what a move carries, by field."""
    errors: dict[str, list[str]] = {}
    if target == S.DECLINED:
        if decline_reason not in DeclineReason.values:
            errors["decline_reason"] = [
                "Give the reason for declining, so the therapist can act on it."
            ]
        if decline_reason == DeclineReason.OTHER and not note.strip():
            errors["note"] = ["Explain the reason for declining."]
        if redirect_to is not None and redirect_to.kind != OrganisationKind.PSYCHIATRIC_PRACTICE:
            errors["redirect_to"] = ["Suggest a psychiatric practice."]
    if target == S.INFO_REQUESTED and not note.strip():
        errors["note"] = ["Write the question you need answered."]
    if referral.status == S.INFO_REQUESTED and target == S.RECEIVED and not note.strip():
        errors["note"] = ["Write your answer to the practice's question."]
    if (
        assigned_prescriber is not None
        and not Membership.objects.filter(
            user=assigned_prescriber,
            organisation_id=referral.to_organisation_id,
            role=Role.PRESCRIBER,
            is_active=True,
        ).exists()
    ):
        errors["assigned_prescriber"] = ["Choose a prescriber of this practice."]
    return errors


def _move(
    *,
    actor: User,
    referral: Referral,
    target: str,
    expected_version: int | None = None,
    note: str = "",
    decline_reason: str = "",
    redirect_to: Organisation | None = None,
    assigned_prescriber: User | None = None,
    appointment_id: int | None = None,
    appointment_ref: str = "",
) -> Referral:
    """Make one move a person makes, as the side the actor is on: the body of the named actions.

    ``expected_version`` is the version the actor's page showed: if someone else
    changed the referral since, nothing happens and StaleReferralError explains.
    """
    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("client").get(pk=referral.pk)
        side = side_of(actor, referral)
        if not side:
            raise Forbidden("You are not part of this referral.")
        states.check_version(referral, expected_version)
        states.check(referral.status, target, side)
        errors = _problems(
            referral,
            target,
            note=note,
            decline_reason=decline_reason,
            redirect_to=redirect_to,
            assigned_prescriber=assigned_prescriber,
        )
        if errors:
            raise ValidationError(errors)
        if target == S.DECLINED:
            referral.decline_reason = decline_reason
            referral.decline_note = note.strip()
            referral.redirect_to = redirect_to
        elif target == S.INFO_REQUESTED:
            referral.info_request = note.strip()
        elif referral.status == S.INFO_REQUESTED and target == S.RECEIVED:
            referral.info_response = note.strip()
        if target == S.ACCEPTED:
            referral.assigned_prescriber = assigned_prescriber
            _join_care_team(referral, actor, assigned_prescriber)
        if target == S.SCHEDULED:
            referral.appointment_id = appointment_id
        if side == states.PRACTICE and referral.responded_at is None:
            referral.responded_at = timezone.now()
        states.move(referral, target, actor=actor, side=side, note=note.strip())
        detail: dict[str, Any] = {"status": target}
        if appointment_ref:
            detail["appointment"] = appointment_ref
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=referral,
            client=referral.client,
            organisation=referral.to_organisation,
            detail=detail,
            actor_role=side,
        )
        if side == states.PRACTICE:
            notify(
                [referral.therapist],
                NotificationKind.REFERRAL_UPDATE,
                _link(referral),
                reference=referral.reference,
                about=referral.client_id,
            )
        else:
            recipients = _practice_staff(referral.to_organisation_id, (Role.COORDINATOR,))
            if referral.assigned_prescriber is not None:
                recipients.append(referral.assigned_prescriber)
            notify(
                recipients,
                NotificationKind.REFERRAL_UPDATE,
                _link(referral),
                reference=referral.reference,
                about=referral.client_id,
            )
    return referral


# --- The named moves: each takes what its move carries -------------------------------------


class PlainMove(Protocol):
    """A named move that needs nothing but who makes it and an optional note."""

    def __call__(
        self,
        *,
        actor: User,
        referral: Referral,
        note: str = "",
        expected_version: int | None = None,
    ) -> Referral: ...


def _plain_move(target: str, name: str, doc: str) -> PlainMove:
    """Return the named move to ``target`` that takes only the actor and a note."""

    def move(
        *, actor: User, referral: Referral, note: str = "", expected_version: int | None = None
    ) -> Referral:
        return _move(
            actor=actor,
            referral=referral,
            target=target,
            note=note,
            expected_version=expected_version,
        )

    move.__name__ = move.__qualname__ = name
    move.__doc__ = doc
    return move


receive = _plain_move(S.RECEIVED, "receive", "The practice acknowledges a sent referral.")
first_visit_done = _plain_move(
    S.FIRST_VISIT_DONE, "first_visit_done", "The practice records that the first visit took place."
)
no_show = _plain_move(
    S.NO_SHOW, "no_show", "The practice records that the client missed the first visit."
)
consult_note_sent = _plain_move(
    S.CONSULT_NOTE_SENT,
    "consult_note_sent",
    "The prescriber's consultation note reached the therapist.",
)
close = _plain_move(
    S.CLOSED,
    "close",
    "Close the loop: the practice after the consult note or a no-show, the therapist after a decline.",
)
cancel = _plain_move(S.CANCELLED, "cancel", "The referring therapist cancels an open referral.")


def accept(
    *,
    actor: User,
    referral: Referral,
    assigned_prescriber: User | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Referral:
    """The practice accepts, optionally for a prescriber; both join the client's care team."""
    return _move(
        actor=actor,
        referral=referral,
        target=S.ACCEPTED,
        assigned_prescriber=assigned_prescriber,
        note=note,
        expected_version=expected_version,
    )


def decline(
    *,
    actor: User,
    referral: Referral,
    decline_reason: str,
    note: str = "",
    redirect_to: Organisation | None = None,
    expected_version: int | None = None,
) -> Referral:
    """The practice declines, with a reason and optionally another practice to try."""
    return _move(
        actor=actor,
        referral=referral,
        target=S.DECLINED,
        decline_reason=decline_reason,
        note=note,
        redirect_to=redirect_to,
        expected_version=expected_version,
    )


def request_info(
    *, actor: User, referral: Referral, question: str, expected_version: int | None = None
) -> Referral:
    """The practice asks the therapist a question before deciding."""
    return _move(
        actor=actor,
        referral=referral,
        target=S.INFO_REQUESTED,
        note=question,
        expected_version=expected_version,
    )


def answer(
    *, actor: User, referral: Referral, answer: str, expected_version: int | None = None
) -> Referral:
    """The therapist answers the practice's question; the referral is back with the practice."""
    return _move(
        actor=actor,
        referral=referral,
        target=S.RECEIVED,
        note=answer,
        expected_version=expected_version,
    )


def schedule(
    *,
    actor: User,
    referral: Referral,
    note: str = "",
    appointment_id: int | None = None,
    appointment_ref: str = "",
    expected_version: int | None = None,
) -> Referral:
    """The practice schedules the first visit: by hand (no visit), or with the visit it confirmed.

    ``appointment_id`` and ``appointment_ref`` (its public id, for the audit row) name
    the visit; scheduling checks it is this client's visit with this practice.
    """
    return _move(
        actor=actor,
        referral=referral,
        target=S.SCHEDULED,
        note=note,
        appointment_id=appointment_id,
        appointment_ref=appointment_ref,
        expected_version=expected_version,
    )


#: The named move of each target a person may choose on the referral's page.
NAMED_MOVES: dict[str, Any] = {
    S.RECEIVED: receive,
    S.ACCEPTED: accept,
    S.DECLINED: decline,
    S.INFO_REQUESTED: request_info,
    S.SCHEDULED: schedule,
    S.FIRST_VISIT_DONE: first_visit_done,
    S.NO_SHOW: no_show,
    S.CONSULT_NOTE_SENT: consult_note_sent,
    S.CLOSED: close,
    S.CANCELLED: cancel,
}


#: The event note of a referral the practice's automatic confirmation rule scheduled.
AUTOMATIC_NOTE = (
    "Scheduled automatically: the practice confirms appointments once the client's payment "
    "information is on file, and it was."
)


def schedule_automatically(
    *, referral: Referral, appointment_id: int, appointment_ref: str
) -> Referral:
    """Move an accepted referral to scheduled for the practice, with no person acting.

    For trusted code only: ``scheduling.loop.schedule_by_practice_rule`` calls it
    for the visit it confirmed under the practice's automatic confirmation rule
    (having checked the visit is this client's, with this practice, confirmed),
    inside its own transaction. Nobody at the practice did anything — the client
    put payment on file and the practice's own rule confirmed — so instead of
    borrowing a prescriber's or coordinator's name, the event has no actor and
    says it was automatic, and the audit row is the system's (actor none,
    ``automatic``). No view, form or API reaches this function: every move a
    person makes goes through a named action, which requires an actor.
    """
    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("client").get(pk=referral.pk)
        states.check(referral.status, S.SCHEDULED, states.PRACTICE)
        referral.appointment_id = appointment_id
        if referral.responded_at is None:
            referral.responded_at = timezone.now()
        states.move(referral, S.SCHEDULED, actor=None, side=states.PRACTICE, note=AUTOMATIC_NOTE)
        record(
            actor=None,
            action=AuditAction.UPDATE,
            obj=referral,
            client=referral.client,
            organisation=referral.to_organisation,
            detail={"status": S.SCHEDULED, "appointment": appointment_ref, "automatic": True},
            actor_role=states.PRACTICE,
        )
        notify(
            [referral.therapist],
            NotificationKind.REFERRAL_UPDATE,
            _link(referral),
            reference=referral.reference,
            about=referral.client_id,
        )
    return referral


def follow_moved_visit(
    *, actor: User, referral: Referral, appointment_id: int, appointment_ref: str
) -> None:
    """Point a scheduled referral at the visit that replaced its own (a waitlist move).

    The visit moved to an earlier time as a new appointment; the referral's
    scheduled state stands, only the visit it shows changes. Scheduling picks the
    referrals (locked, inside its transaction) and checks the new visit is theirs.
    """
    referral.appointment_id = appointment_id
    referral.version += 1
    referral.save(update_fields=["appointment", "version", "updated_at"])
    states.record_version(referral)
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=referral,
        client=referral.client,
        organisation=referral.to_organisation,
        detail={"appointment": appointment_ref},
    )


def _join_care_team(referral: Referral, actor: User, prescriber: User | None) -> None:
    """Put the accepting coordinator and the assigned prescriber on the client's care team."""
    for user, role in ((actor, Role.COORDINATOR), (prescriber, Role.PRESCRIBER)):
        if user is None:
            continue
        if not Membership.objects.filter(
            user=user, organisation_id=referral.to_organisation_id, role=role, is_active=True
        ).exists():
            continue
        CareTeamMember.objects.get_or_create(
            client=referral.client,
            user=user,
            role=role,
            ended_on=None,
            defaults={"organisation_id": referral.to_organisation_id},
        )
        policy.forget(user)


#: States in which the therapist may still add documents (drafting, or answering a question).
_ATTACHABLE = frozenset({S.DRAFT, S.INFO_REQUESTED})


def add_attachment(
    *, actor: User, referral: Referral, upload: UploadedFile, title: str, category: str
) -> ReferralAttachment:
    """Attach a PDF to the referral under a consent category (the practice sees it once released)."""
    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("client").get(pk=referral.pk)
        if side_of(actor, referral) != states.THERAPIST:
            raise Forbidden("Only the referring therapist adds documents to the referral.")
        if referral.status not in _ATTACHABLE:
            raise TransitionError(
                f"A referral that is {S(referral.status).label.lower()} takes no more documents."
            )
        errors: dict[str, list[str]] = {}
        if category not in Category.values or category == Category.PSYCHOTHERAPY_NOTES:
            errors["category"] = ["Choose the kind of information the document holds."]
        if not title.strip():
            errors["title"] = ["Give the document a title."]
        if errors:
            raise ValidationError(errors)
        check_pdf(upload)
        attachment = ReferralAttachment(
            referral=referral, title=title.strip()[:200], category=category, size=upload.size or 0
        )
        attachment.file.save(f"{attachment.public_id}.pdf", upload, save=False)
        attachment.save()
        referral.version += 1
        referral.save(update_fields=["version", "updated_at"])
        states.record_version(referral)
        record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=attachment,
            client=referral.client,
            detail={"referral": str(referral.public_id), "category": category},
            actor_role=Role.THERAPIST,
        )
    return attachment
