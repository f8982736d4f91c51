"""Crisis coordination: safety alerts that must be acknowledged, escalation, the rota, the plan.

Legal basis. That an alert exists — a client on this care team may be at risk,
acknowledge now — always reaches the care team and the paged practice's
on-call prescriber: HIPAA permits a disclosure believed in good faith necessary
to prevent or lessen a serious and imminent threat to a person's health or
safety, to someone reasonably able to prevent or lessen it (45 CFR
164.512(j)(1)(i)). The *details* (what happened, steps taken) follow the
client's consent under the SAFETY category, unless the raising practice's
``CareSettings.share_safety_details_without_release`` says otherwise; then each
such disclosure is recorded in the accounting with basis ``serious_threat``.
The paged practice's on-call people read the details as that practice's
care-team prescriber may (``access.on_call_reader``).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.crisis import signals, states
from tandem.care.crisis.models import (
    SAFETY_PLAN_SECTIONS,
    AlertLevel,
    AlertSource,
    AlertStatus,
    HospitalisationOutcome,
    OnCallShift,
    SafetyAlert,
    SafetyPlan,
)
from tandem.care.crisis.selectors import (
    ROTA_LOOKAHEAD,
    SERIOUS_THREAT_BASIS,
    ack_window,
    already_told,
    care_settings,
    may_acknowledge,
    may_resolve,
    members_in_role,
    on_call_now,
    rota_gaps,
)
from tandem.care.practice import CareSettings
from tandem.care.sharing import PURPOSE, StaleError, team
from tandem.clients.access import CLINICIAN_ROLES, seat
from tandem.clients.models import CareTeamMember, Client
from tandem.consent import actions as consent_actions
from tandem.consent.categories import Category
from tandem.consent.decision import Party
from tandem.consent.models import Disclosure
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.organisations.models import Membership, Organisation, OrganisationKind


def _link(alert: SafetyAlert) -> str:
    return reverse("care:alert", kwargs={"alert_id": alert.public_id})


def _paged_practice(client: Client, members: list[CareTeamMember]) -> Organisation | None:
    for m in members:
        if m.organisation.kind == OrganisationKind.PSYCHIATRIC_PRACTICE:
            return m.organisation
    return None


def _share_details(
    actor: User | None, alert: SafetyAlert, recipients: list[tuple[User, int]]
) -> None:
    """Record the disclosure of the alert's details to each recipient outside the raising practice."""
    allow_all = care_settings(alert.organisation).share_safety_details_without_release
    source = Party(alert.organisation_id, alert.raised_by_id)
    for user, org_id in recipients:
        if org_id == alert.organisation_id:
            continue
        decision = consent_actions.disclose(
            actor=actor,
            client=alert.client,
            category=Category.SAFETY,
            source=source,
            recipient=Party(org_id, user.pk),
            purpose=PURPOSE,
            description=f"Safety alert {alert.reference}",
            obj=alert,
        )
        if not decision.allowed and allow_all:
            disclosure = Disclosure.objects.create(
                client=alert.client,
                category=Category.SAFETY,
                description=f"Safety alert {alert.reference} (serious threat)",
                purpose=PURPOSE,
                recipient_organisation_id=org_id,
                recipient_user=user,
                recipient_name=f"{user.display_name}, {Organisation.objects.get(pk=org_id).name}",
                source_organisation_id=alert.organisation_id,
                disclosed_by=actor,
                basis=SERIOUS_THREAT_BASIS,
                object_type=alert._meta.label_lower,
                object_id=str(alert.public_id),
            )
            record(
                actor=actor,
                action=AuditAction.DISCLOSE,
                obj=disclosure,
                client=alert.client,
                detail={"category": Category.SAFETY, "basis": SERIOUS_THREAT_BASIS},
            )


@transaction.atomic
def raise_safety_alert(
    actor: User | None,
    client: Client,
    level: str,
    summary: str,
    steps: str = "",
    source: str = AlertSource.CLINICIAN,
    organisation: Organisation | None = None,
) -> SafetyAlert:
    """Raise a safety alert: tell the other clinicians and the on-call prescriber; start the clock.

    ``source="questionnaire"`` is for the measures work (PHQ-9 item 9 above 0): the
    actor may then be the client who answered, or None, and ``organisation`` the
    practice that sent the questionnaire (else the client's psychiatric practice).
    """
    members = team(client)
    errors: dict[str, list[str]] = {}
    if level not in AlertLevel.values:
        errors["level"] = ["Choose the level: concern, urgent or emergency."]
    if not summary.strip():
        errors["summary"] = ["Say what happened."]
    if source not in AlertSource.values:
        errors["source"] = ["Unknown source of the alert."]
    if source == AlertSource.CLINICIAN:
        if actor is None:
            raise Forbidden("A clinician raises this alert.")
        member = seat(actor, client, CLINICIAN_ROLES)
        if member is None:
            raise Forbidden("Only the client's clinicians raise safety alerts.")
        organisation = member.organisation
    elif organisation is None:
        organisation = _paged_practice(client, members) or (
            members[0].organisation if members else None
        )
        if organisation is None:
            raise ValidationError({"source": "The client has no care team to alert."})
    if errors:
        raise ValidationError(errors)
    assert organisation is not None
    Client.objects.select_for_update().filter(pk=client.pk).first()
    now = timezone.now()
    # The team's psychiatric practice answers; without one, the practice the client reached
    # (the questionnaire's, or the raising clinician's) does, so someone always can.
    paged = _paged_practice(client, members) or organisation
    alert = SafetyAlert.objects.create(
        client=client,
        raised_by=actor if source == AlertSource.CLINICIAN else None,
        organisation=organisation,
        paged_organisation=paged,
        level=level,
        source=source,
        summary=summary.strip(),
        steps=steps.strip(),
        raised_at=now,
        ack_due_at=now + ack_window(paged, now, level),
    )
    told: dict[int, tuple[User, int]] = {}
    for m in members:
        if m.role in CLINICIAN_ROLES and (actor is None or m.user_id != actor.pk):
            told[m.user_id] = (m.user, m.organisation_id)
    # The first on call; with nobody on call (no rota, no prescriber marked on call),
    # every prescriber of the practice: a gap in the rota must not leave the alert with
    # nobody who can act until the first escalation.
    for user in on_call_now(paged, now)[:1] or members_in_role(paged.pk, Role.PRESCRIBER):
        if actor is None or user.pk != actor.pk:
            told.setdefault(user.pk, (user, paged.pk))
    if not told:
        # Nobody on the team and nobody on call: the admins hear now, not a window later.
        for user in members_in_role(paged.pk, Role.PRACTICE_ADMIN):
            if actor is None or user.pk != actor.pk:
                told.setdefault(user.pk, (user, paged.pk))
    states.event(alert, "raised", actor, level=level, source=source)
    states.event(alert, "notified", None, users=sorted(told), level=0)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=alert,
        client=client,
        organisation=organisation,
        detail={"level": level, "source": source, "told": len(told)},
    )
    # Only the care-team members' receipt of the details is a disclosure. The paged
    # practice's on-call people read them inside the practice that holds the client's
    # care (``access.on_call_reader``), which is no disclosure between organisations.
    team_ids = {m.user_id for m in members}
    _share_details(actor, alert, [(u, org) for u, org in told.values() if u.pk in team_ids])
    notify(
        [u for u, _ in told.values()],
        NotificationKind.SAFETY_ALERT,
        _link(alert),
        reference=alert.reference,
        about=alert.client_id,
    )
    signals.escalation_due.send(
        sender=SafetyAlert, alert_id=alert.pk, level=1, run_after=alert.ack_due_at
    )
    return alert


@transaction.atomic
def acknowledge_alert(*, actor: User, alert: SafetyAlert) -> SafetyAlert:
    """Acknowledge the alert. After an escalation it is still recorded, and escalation stops."""
    alert = SafetyAlert.objects.select_for_update().select_related("client").get(pk=alert.pk)
    if not may_acknowledge(actor, alert) or alert.raised_by_id == actor.pk:
        raise Forbidden("Only someone the alert was sent to acknowledges it.")
    if alert.status != AlertStatus.OPEN:
        states.event(alert, "acknowledged_again", actor)
        return alert
    now = timezone.now()
    alert.acknowledged_by = actor
    alert.acknowledged_at = now
    late = now > alert.ack_due_at
    states.move(
        alert,
        AlertStatus.ACKNOWLEDGED,
        actor=actor,
        fields=("acknowledged_by", "acknowledged_at"),
        late=late,
        after_escalation=alert.escalation_level,
    )
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=alert,
        client=alert.client,
        detail={"status": "acknowledged", "late": late, "escalation_level": alert.escalation_level},
    )
    return alert


def escalate(alert_id: int, level: int) -> bool:
    """Escalate an alert nobody acknowledged to the next person on call and the admins.

    The next person is the first on the rota (as it stands now) whom the alert has
    not reached yet, so nobody is skipped when the first was never told or the
    rota changed hands. Another escalation is queued while someone on the rota is
    still untold. Idempotent: a retried or late task finds the alert acknowledged,
    or already at this level, and does nothing. Returns whether it escalated.
    """
    with transaction.atomic():
        alert = (
            # Lock the alert row only: the paged practice is a nullable (outer) join.
            SafetyAlert.objects.select_for_update(of=("self",))
            .select_related("client", "paged_organisation", "organisation")
            .filter(pk=alert_id)
            .first()
        )
        if alert is None or alert.status != AlertStatus.OPEN or alert.escalation_level >= level:
            return False
        practice = alert.paged_organisation or alert.organisation
        now = timezone.now()
        rota = on_call_now(practice, now)
        already = already_told(alert)
        untold = [user for user in rota if user.pk not in already]
        next_people = untold[:1]
        admins = members_in_role(practice.pk, Role.PRACTICE_ADMIN)
        recipients = [*next_people, *admins]
        alert.escalation_level = level
        alert.save(update_fields=["escalation_level"])
        states.event(
            alert, "escalated", None, level=level, users=sorted({u.pk for u in recipients})
        )
        record(
            actor=None,
            action=AuditAction.UPDATE,
            obj=alert,
            client=alert.client,
            organisation=practice,
            detail={"escalated": level, "told": len(recipients)},
        )
        notify(
            recipients,
            NotificationKind.SAFETY_ESCALATION,
            _link(alert),
            dedupe_key=f"safety-escalation:{alert.public_id}:{level}",
            reference=alert.reference,
            about=alert.client_id,
        )
        if len(untold) > 1:
            signals.escalation_due.send(
                sender=SafetyAlert,
                alert_id=alert.pk,
                level=level + 1,
                run_after=now + ack_window(practice, now, alert.level),
            )
    return True


@transaction.atomic
def record_outcome(*, actor: User, alert: SafetyAlert, outcome: str, follow_up: str) -> SafetyAlert:
    """Record the hospitalisation assessment's outcome and the follow-up; resolve the alert."""
    alert = SafetyAlert.objects.select_for_update().select_related("client").get(pk=alert.pk)
    if not may_resolve(actor, alert):
        raise Forbidden("Only a clinician who can see the alert records its outcome.")
    member = seat(actor, alert.client, CLINICIAN_ROLES)
    errors: dict[str, list[str]] = {}
    if outcome not in HospitalisationOutcome.values:
        errors["outcome"] = ["Choose the outcome of the assessment."]
    if not follow_up.strip():
        errors["follow_up"] = ["Write the follow-up plan."]
    if errors:
        raise ValidationError(errors)
    fields: tuple[str, ...] = ("outcome", "follow_up", "outcome_recorded_at")
    if alert.status == AlertStatus.OPEN:
        alert.acknowledged_by = actor
        alert.acknowledged_at = timezone.now()
        fields += ("acknowledged_by", "acknowledged_at")
    alert.outcome = outcome
    alert.follow_up = follow_up.strip()
    alert.outcome_recorded_at = timezone.now()
    # The practice that wrote the follow-up: its text reaches others through consent.
    writer = member or seat(actor, alert.client)
    source = writer.organisation_id if writer is not None else alert.paged_organisation_id
    if alert.status == AlertStatus.RESOLVED:
        # A resolved alert's outcome recorded again: the same step, the status stays.
        alert.save(update_fields=list(fields))
        states.event(alert, "outcome", actor, outcome=outcome, organisation=source)
    else:
        states.move(
            alert,
            AlertStatus.RESOLVED,
            actor=actor,
            fields=fields,
            outcome=outcome,
            organisation=source,
        )
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=alert,
        client=alert.client,
        detail={"status": "resolved", "outcome": outcome},
    )
    return alert


# --- The on-call rota --------------------------------------------------------------------


def _require_admin(actor: User, organisation: Organisation) -> None:
    if not Membership.objects.filter(
        user=actor, organisation=organisation, role=Role.PRACTICE_ADMIN, is_active=True
    ).exists():
        raise Forbidden("Only the practice admin manages the on-call rota.")


@transaction.atomic
def add_shift(
    *,
    actor: User,
    organisation: Organisation,
    user: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    order: int = 1,
) -> OnCallShift:
    """Put a prescriber of the practice on the rota; check the coming week for gaps after commit."""
    _require_admin(actor, organisation)
    errors: dict[str, list[str]] = {}
    if not Membership.objects.filter(
        user=user, organisation=organisation, role=Role.PRESCRIBER, is_active=True
    ).exists():
        errors["user"] = ["Choose a prescriber of this practice."]
    if ends_at <= starts_at:
        errors["ends_at"] = ["The shift must end after it starts."]
    if not 1 <= order <= 9:
        errors["order"] = ["Order is 1 (asked first) to 9."]
    if errors:
        raise ValidationError(errors)
    shift = OnCallShift.objects.create(
        organisation=organisation, user=user, starts_at=starts_at, ends_at=ends_at, order=order
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=shift,
        organisation=organisation,
        detail={"user": str(user.pk), "order": order},
    )
    signals.rota_check_due.send(sender=OnCallShift, organisation_id=organisation.pk, run_after=None)
    return shift


def warn_rota_gaps(organisation_id: int) -> int:
    """Tell the admins of each gap in the coming week once; return how many gaps there are."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None or not OnCallShift.objects.filter(organisation=organisation).exists():
        return 0
    now = timezone.now()
    gaps = rota_gaps(organisation, now, now + ROTA_LOOKAHEAD)
    admins = members_in_role(organisation.pk, Role.PRACTICE_ADMIN)
    for gap_start, _ in gaps:
        notify(
            admins,
            NotificationKind.ON_CALL_GAP,
            reverse("care:rota", kwargs={"org_id": organisation.public_id}),
            # A gap is reported once per hour it starts in, however often the check runs.
            dedupe_key=f"rota-gap:{organisation.public_id}:{gap_start:%Y%m%d%H}",
        )
    return len(gaps)


# --- The safety plan ---------------------------------------------------------------------


@transaction.atomic
def save_safety_plan(
    *, actor: User, client: Client, sections: dict[str, str], base_version: int
) -> SafetyPlan:
    """Save a new version of the client's safety plan.

    ``base_version`` is the version the editor started from (0 for none). If
    someone saved since, nothing is saved and StaleError says so: the second
    editor's text is kept in their form, and nothing is silently overwritten.
    """
    member = seat(actor, client, CLINICIAN_ROLES)
    if member is None:
        raise Forbidden("Only the client's clinicians edit the safety plan.")
    Client.objects.select_for_update().filter(pk=client.pk).first()
    latest = SafetyPlan.objects.filter(client=client).order_by("-version").first()
    current_version = latest.version if latest else 0
    if base_version != current_version:
        who = latest.saved_by.display_name if latest else "someone"
        raise StaleError(
            f"{who} saved version {current_version} of the safety plan while you were editing "
            f"version {base_version}. Your text is still in the form: compare it with the current "
            "plan, merge, and save again."
        )
    clean = {key: str(sections.get(key, "")).strip() for key in SAFETY_PLAN_SECTIONS}
    if not any(clean.values()):
        raise ValidationError({"warning_signs": "Fill in at least one section of the plan."})
    plan = SafetyPlan.objects.create(
        client=client,
        version=current_version + 1,
        sections=clean,
        saved_by=actor,
        organisation=member.organisation,
        saved_at=timezone.now(),
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=plan,
        client=client,
        organisation=member.organisation,
        detail={"version": plan.version},
    )
    return plan


def check_rota(organisation_id: int) -> None:
    """Warn the practice admin of gaps in the coming week's rota; plan tomorrow's check.

    One daily chain per practice: tomorrow's check is announced unless one is
    already planned for that day.
    """
    with transaction.atomic():
        organisation = Organisation.objects.filter(pk=organisation_id).first()
        if organisation is None:
            return
        warn_rota_gaps(organisation_id)
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        settings_row, _ = CareSettings.objects.select_for_update().get_or_create(
            organisation=organisation
        )
        if (
            settings_row.rota_check_scheduled_for is None
            or settings_row.rota_check_scheduled_for < tomorrow
        ):
            settings_row.rota_check_scheduled_for = tomorrow
            settings_row.save(update_fields=["rota_check_scheduled_for"])
            signals.rota_check_due.send(
                sender=OnCallShift,
                organisation_id=organisation_id,
                run_after=timezone.now() + dt.timedelta(days=1),
            )
