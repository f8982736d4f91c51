"""Writes of intake: contact messages, invitations, the bot's answers and the portal account."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.actions import register_client
from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.models import Client
from tandem.core import crisis_lines, policy
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.intake import bot, signals
from tandem.intake.models import ContactMessage, IntakeSession, Invitation
from tandem.measures.actions import record_response
from tandem.measures.models import ResponseSource
from tandem.organisations.models import Organisation
from tandem.referrals.models import Referral, ReferralStatus

INVITATION_DAYS = 14
#: Days an unverified bot session (and the answers in it) is kept after its last change.
UNVERIFIED_KEEP_DAYS = 7

ACK_SUBJECT = "We received your message"
ACK_BODY = (
    "Hello,\n\n"
    "Thank you for your message. A coordinator will reply within two business days.\n\n"
    "For your privacy, please do not send clinical details by email.\n"
    "This service is not monitored for emergencies. " + crisis_lines.TEXT + "\n"
)


class RateLimitedError(Exception):
    """Too many messages from one place; the message is for the sender."""


@transaction.atomic
def send_contact_message(
    *,
    organisation: Organisation,
    name: str,
    email: str,
    phone: str,
    question: str,
    count_attempt: Callable[[], bool],
    submission_key: uuid.UUID | None = None,
) -> ContactMessage:
    """Put a question in the practice's inbox and acknowledge it to the sender by email.

    The same ``submission_key`` (one per page load) sends one message however often it
    is posted: a double click is not two questions, and not two confirmation emails.
    ``count_attempt`` counts a new message against the sender's limit and returns False
    when they are over it (the view passes allauth's limiter for the client's address,
    TANDEM_RATE_LIMITS["contact_form"]); a repeat of a sent form is not counted.
    """
    if submission_key is not None:
        already = ContactMessage.objects.filter(submission_key=submission_key).first()
        if already is not None:
            return already
    if not count_attempt():
        raise RateLimitedError(
            "You have sent several messages in the last hour. Please wait a while, or call the "
            "practice."
        )
    try:
        with transaction.atomic():
            message = ContactMessage.objects.create(
                organisation=organisation,
                name=name,
                email=email,
                phone=phone,
                question=question,
                submission_key=submission_key,
            )
    except IntegrityError:  # the other click of a double click won the race
        return ContactMessage.objects.get(submission_key=submission_key)
    record(actor=None, action=AuditAction.CREATE, obj=message, organisation=organisation)
    signals.contact_message_sent.send(sender=ContactMessage, message_id=message.pk)
    return message


@transaction.atomic
def mark_handled(*, actor: User, message: ContactMessage) -> ContactMessage:
    """Mark a contact message as answered."""
    message.handled_at = timezone.now()
    message.save(update_fields=["handled_at"])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=message,
        organisation=message.organisation,
        detail={"handled": True},
    )
    return message


@transaction.atomic
def create_invitation(*, actor: User, referral: Referral) -> Invitation:
    """Invite the client of an accepted referral to book through the bot (coordinators only)."""
    coordinator = any(
        m.organisation_id == referral.to_organisation_id
        and m.role in (Role.COORDINATOR, Role.PRACTICE_ADMIN)
        for m in policy.active_memberships(actor)
    )
    if not coordinator or not policy.has_mfa(actor):
        raise Forbidden("Only the practice's coordinators invite clients to book.")
    if referral.status != ReferralStatus.ACCEPTED:
        raise ValueError("Accept the referral before inviting the client to book.")
    invitation = Invitation.objects.create(
        organisation=referral.to_organisation,
        referral=referral,
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS),
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=invitation,
        client=referral.client,
        organisation=referral.to_organisation,
        detail={"referral": str(referral.public_id)},
    )
    return invitation


def prefill(referral: Referral) -> dict[str, Any]:
    """Return the answers a referral may pre-fill: who the client is, where, how they pay.

    The date of birth is left for the client to type, so that a forwarded link
    shows less about them.
    """
    client = referral.client
    return {
        "name": {"first_name": client.first_name, "last_name": client.last_name},
        "contact": {"email": client.email, "phone": client.phone},
        "location": {
            "state_of_residence": client.state_of_residence or referral.visit_state,
            "visit_state": referral.visit_state,
        },
        "coverage": {"payer": referral.payer, "plan_type": referral.plan_type},
    }


@transaction.atomic
def start_session(
    *, organisation: Organisation, user: User | None, invitation: Invitation | None = None
) -> IntakeSession:
    """Open an intake for ``organisation``; pre-fill it from an invitation's referral."""
    answers = prefill(invitation.referral) if invitation is not None else {}
    session = IntakeSession.objects.create(
        organisation=organisation,
        user=user if user is not None and user.is_authenticated else None,
        invitation=invitation,
        answers=answers,
    )
    if invitation is not None and invitation.used_at is None:
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at"])
    if session.user is None:
        # Unverified answers must not outlive the week: sweep once it has passed.
        purge_after = timezone.now() + dt.timedelta(days=UNVERIFIED_KEEP_DAYS, hours=1)
        signals.unverified_session_opened.send(sender=IntakeSession, purge_after=purge_after)
    return session


@transaction.atomic
def save_answer(*, session: IntakeSession, step: bot.Step, data: dict[str, Any]) -> IntakeSession:
    """Store one answer (replacing an earlier one to the same question)."""
    answer = bot.storable(data)
    if step.code == "consent":
        answer["agreed_at"] = timezone.now().isoformat()
    session.answers = {**session.answers, step.code: answer}
    fields = ["answers", "updated_at"]
    if step.code == "contact" and session.verify_digest:
        session.verify_digest = ""  # a link sent to the old address must not open the intake
        fields.append("verify_digest")
    session.save(update_fields=fields)
    return session


def _same_person(invited: Client, user: User, answers: dict[str, Any]) -> bool:
    """Return whether the person finishing an invited intake is the referred client.

    The link alone is not proof: it may have been forwarded. The account's email
    must be the one the therapist recorded and the date of birth must match;
    otherwise a separate client record is opened and nothing of the referral's
    record is attached to a stranger's account.
    """
    birth = answers.get("birth", {}).get("date_of_birth", "")
    return (
        bool(invited.email)
        and invited.email.lower() == user.email.lower()
        and birth == invited.date_of_birth.isoformat()
    )


def _client_for(session: IntakeSession, user: User) -> Client:
    """Return the client record for ``user``: theirs, the referral's, or a new one."""
    answers = session.answers
    existing = Client.objects.filter(user=user).first()
    if existing is not None:
        return existing
    invited = session.invitation.referral.client if session.invitation is not None else None
    if invited is not None and invited.user_id is None and _same_person(invited, user, answers):
        invited.user = user
        invited.save(update_fields=["user"])
        record(
            actor=user,
            action=AuditAction.UPDATE,
            obj=invited,
            client=invited,
            organisation=session.organisation,
            detail={"via": "invitation", "linked": "portal account"},
        )
        return invited
    client = Client.objects.create(
        user=user,
        first_name=answers["name"]["first_name"],
        last_name=answers["name"]["last_name"],
        date_of_birth=dt.date.fromisoformat(answers["birth"]["date_of_birth"]),
        email=answers["contact"]["email"],
        phone=answers["contact"].get("phone", ""),
        state_of_residence=answers["location"]["state_of_residence"],
    )
    record(
        actor=user,
        action=AuditAction.CREATE,
        obj=client,
        client=client,
        organisation=session.organisation,
        detail={"via": "appointment bot"},
    )
    return client


@transaction.atomic
def finish_for_user(*, session: IntakeSession, user: User) -> IntakeSession:
    """Attach a finished intake to a signed-in person and their client record."""
    session.user = user
    session.client = _client_for(session, user)
    session.finished_at = session.finished_at or timezone.now()
    session.save(update_fields=["user", "client", "finished_at", "updated_at"])
    policy.forget(user)
    _record_screening(session, user)
    return session


#: Bot step → the measures instrument it asks.
_SCREENING = (("phq9", "phq-9"), ("gad7", "gad-7"))


def _record_screening(session: IntakeSession, user: User) -> None:
    """Score the intake's PHQ-9 and GAD-7 as measures responses of the client (once each).

    The idempotency key ties each response to this intake, so finishing twice
    (a second sign-in, a retried request) stores nothing more. A positive
    suicide item raises a safety alert through the measures app.
    """
    assert session.client is not None
    for step_code, instrument in _SCREENING:
        answered = session.answers.get(step_code)
        if not answered:
            continue
        items = sorted(
            (k for k in answered if k.startswith("item")), key=lambda k: int(k.removeprefix("item"))
        )
        record_response(
            user,
            session.client,
            instrument,
            [int(answered[k]) for k in items],
            source=ResponseSource.INTAKE,
            idempotency_key=f"intake:{session.public_id}:{instrument}",
            organisation=session.organisation,
        )


#: How long the emailed link stays valid.
LINK_HOURS = 24
LINK_SUBJECT = "Confirm your email address"
LINK_BODY = (
    "Hello,\n\n"
    "Someone, we hope you, asked to open a patient portal account in Tandem with this email "
    "address. To confirm it and finish, open this link within {hours} hours:\n\n"
    "{url}\n\n"
    "If this was not you, ignore this email: nothing is kept unless the link is opened.\n"
    "This service is not monitored for emergencies. In a crisis, call or text 988, or call 911.\n"
)


class LinkError(Exception):
    """The emailed link cannot be used; the message is for the person holding it."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _has_account(email: str) -> bool:
    return (
        EmailAddress.objects.filter(email__iexact=email).exists()
        or User.objects.filter(email__iexact=email).exists()
    )


def send_verification(request: HttpRequest, *, session: IntakeSession) -> None:
    """Email a one-time link that proves the person owns the address they gave.

    The email names neither the person nor the practice. An address that
    already has an account gets allauth's "you already have an account" email
    instead (sign in, and the intake finishes), and the page reads the same,
    so nobody learns who has an account here. Sending again voids the last link.
    """
    email = session.answers["contact"]["email"].lower()
    if _has_account(email):
        # allauth reads the request from its per-request context: send now, not on commit.
        get_adapter(request).send_account_already_exists_mail(email)
        return
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = IntakeSession.objects.select_for_update().get(pk=session.pk)
        locked.verify_digest = _digest(token)
        locked.verify_sent_at = timezone.now()
        locked.save(update_fields=["verify_digest", "verify_sent_at", "updated_at"])
    url = settings.TANDEM_BASE_URL.rstrip("/") + reverse("intake:confirm", args=[token])
    body = LINK_BODY.format(hours=LINK_HOURS, url=url)
    transaction.on_commit(partial(send_mail, LINK_SUBJECT, body, None, [email]))


def _linked(token: str, *, lock: bool = False) -> IntakeSession | None:
    if not token or len(token) > 100:
        return None
    found = IntakeSession.objects.select_related("organisation").filter(
        verify_digest=_digest(token),
        verified_at__isnull=True,
        verify_sent_at__gt=timezone.now() - dt.timedelta(hours=LINK_HOURS),
    )
    if lock:
        found = found.select_for_update(of=("self",))
    return found.first()


def session_for_link(token: str) -> IntakeSession | None:
    """Return the unverified intake an emailed link opens, or None if it is unknown, used or old."""
    return _linked(token)


@transaction.atomic
def open_account(*, token: str, password: str) -> IntakeSession:
    """Verify the address through its link, then open the account and the clinical records.

    Only now are the user, the client record, the intake's questionnaire
    results and any safety alert created, from the answers the bot kept. The
    link works once: a second use (or a race of two) finds it spent.
    """
    session = _linked(token, lock=True)
    if session is None:
        raise LinkError("This link was already used or has expired.")
    email = session.answers["contact"]["email"].lower()
    session.verify_digest = ""
    if _has_account(email):
        session.save(update_fields=["verify_digest", "updated_at"])
        raise LinkError("An account already uses this email address. Sign in to finish.")
    user = User.objects.create_user(email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    name = session.answers["name"]
    register_client(user=user, full_name=f"{name['first_name']} {name['last_name']}")
    session.verified_at = timezone.now()
    session.save(update_fields=["verify_digest", "verified_at", "updated_at"])
    record(
        actor=user,
        action=AuditAction.CREATE,
        obj=user,
        organisation=session.organisation,
        detail={"via": "appointment bot", "email_verified": True},
    )
    return finish_for_user(session=session, user=user)


def purge_unverified(now: dt.datetime | None = None) -> int:
    """Delete bot sessions nobody verified or finished within a week; return how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=UNVERIFIED_KEEP_DAYS)
    deleted, _ = IntakeSession.objects.filter(
        user__isnull=True, client__isnull=True, updated_at__lt=cutoff
    ).delete()
    return deleted


def acknowledge_contact_message(message_id: int) -> None:
    """Send the sender a fixed acknowledgement, once (a retried task finds it already sent)."""
    with transaction.atomic():
        message = (
            ContactMessage.objects.select_for_update()
            .filter(pk=message_id, acknowledged_at__isnull=True)
            .first()
        )
        if message is None:
            return
        send_mail(ACK_SUBJECT, ACK_BODY, None, [message.email])
        message.acknowledged_at = timezone.now()
        message.save(update_fields=["acknowledged_at"])
