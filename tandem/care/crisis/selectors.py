"""Reads of crisis coordination: who is on call, who may act on an alert, what each reader sees.

Legal basis: see ``tandem.care.crisis.actions``. The existence of an alert always
reaches the care team and the paged practice's on-call people; its details, its
recorded outcome and the safety plan follow the client's consent (or the
writing practice's serious-threat setting, accounted under its own basis).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.care.crisis.access import ON_CALL_ROLES
from tandem.care.crisis.models import (
    SAFETY_PLAN_SECTIONS,
    AlertLevel,
    AlertStatus,
    OnCallShift,
    SafetyAlert,
    SafetyPlan,
)
from tandem.care.practice import CareSettings
from tandem.care.sharing import calendar_of
from tandem.clients import naming
from tandem.clients.access import CLINICIAN_ROLES, seat
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.categories import Category
from tandem.consent.decision import Decision, Party
from tandem.consent.timeline import Gate
from tandem.core import policy
from tandem.core.roles import Role
from tandem.core.timeline import Item, Kind, by_line
from tandem.organisations.models import Membership, Organisation

SERIOUS_THREAT_BASIS = "serious_threat_164_512j"
#: ``may_resolve``'s "not read yet" (None already means "reads only that it exists").
_UNREAD: Any = object()
#: How far ahead a gap in the on-call rota is reported to the practice admin.
ROTA_LOOKAHEAD = dt.timedelta(days=7)
#: While an alert is unresolved (waiting, or acknowledged and being handled), the paged
#: practice's on-call people need its details; once resolved their part is over.
ON_CALL_DETAIL_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


def care_settings(organisation: Organisation) -> CareSettings:
    """Return the practice's care settings (the defaults when it never changed them)."""
    found = CareSettings.objects.filter(organisation=organisation).first()
    return found or CareSettings(organisation=organisation)


def in_business_hours(organisation: Organisation, moment: dt.datetime) -> bool:
    """Return whether ``moment`` falls in the practice's business hours, on a business day."""
    calendar = calendar_of(organisation)
    local = calendar.local(moment)
    return (
        calendar.is_business_day(local.date()) and calendar.opens <= local.time() < calendar.closes
    )


#: The longest an emergency alert (immediate danger: the Columbia high-risk path) waits
#: for acknowledgement at each step, whatever the practice's own windows say.
EMERGENCY_ACK_MINUTES = 5


def ack_window(
    organisation: Organisation, moment: dt.datetime, level: str = AlertLevel.URGENT
) -> dt.timedelta:
    """Return how long the practice has to acknowledge an alert of ``level`` raised at ``moment``."""
    cs = care_settings(organisation)
    minutes = (
        cs.ack_minutes_business
        if in_business_hours(organisation, moment)
        else cs.ack_minutes_after_hours
    )
    if level == AlertLevel.EMERGENCY:
        minutes = min(minutes, EMERGENCY_ACK_MINUTES)
    return dt.timedelta(minutes=minutes)


def on_call_now(organisation: Organisation, moment: dt.datetime) -> list[User]:
    """Return who is on call at ``moment``, in rota order; else the practice's on-call prescribers."""
    shifts = (
        OnCallShift.objects.filter(
            organisation=organisation,
            starts_at__lte=moment,
            ends_at__gt=moment,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("order", "pk")
    )
    people = list(dict.fromkeys(s.user for s in shifts))
    if people:
        return people
    return [
        m.user
        for m in Membership.objects.filter(
            organisation=organisation, role=Role.PRESCRIBER, is_on_call=True, is_active=True
        ).select_related("user")
    ]


def members_in_role(organisation_id: int, role: str) -> list[User]:
    """Return the practice's active members in ``role``, oldest membership first."""
    return [
        m.user
        for m in Membership.objects.filter(
            organisation_id=organisation_id, role=role, is_active=True
        )
        .select_related("user")
        .order_by("pk")
    ]


def already_told(alert: SafetyAlert) -> set[int]:
    """Return the ids of everyone the alert has reached so far (and its raiser)."""
    told = {alert.raised_by_id} if alert.raised_by_id else set()
    for event in alert.events.filter(kind__in=("notified", "escalated")):
        told.update(event.detail.get("users", []))
    return told


def on_call_reader(user: Any, alert: SafetyAlert) -> bool:
    """Return whether ``user`` reads the alert's details as its paged practice's on-call person.

    That is a practice admin of the paged practice, or one of its prescribers who
    was paged for this alert or is on call now, while the alert is unresolved and
    the practice still holds a seat on the client's care team or is the practice
    that raised the alert (a questionnaire's practice, before any care team exists). Inside the practice
    whose prescriber is on the care team this is no disclosure between
    organisations (the consent gate still judges the raising practice's details
    going to this practice). A paged practice that is not on the care team reads
    only that the alert exists.
    """
    org_id = alert.paged_organisation_id
    if (
        org_id is None
        or alert.status not in ON_CALL_DETAIL_STATUSES
        or not policy.may_see_clinical_data(user)
    ):
        return False
    roles = {
        m.role
        for m in policy.active_memberships(user)
        if m.organisation_id == org_id and m.role in ON_CALL_ROLES
    }
    if not roles:
        return False
    active = Membership.objects.filter(
        user=OuterRef("user"), organisation=OuterRef("organisation"), is_active=True
    )
    # The practice that raised the alert (or whose questionnaire raised it, say for a
    # client who reached it through the appointment bot and has no care team yet) holds
    # what the alert says: its on-call reads it inside that practice.
    on_team = (
        org_id == alert.organisation_id
        or CareTeamMember.objects.filter(
            Exists(active),
            client_id=alert.client_id,
            organisation_id=org_id,
            ended_on__isnull=True,
        ).exists()
    )
    if not on_team:
        return False
    if Role.PRACTICE_ADMIN in roles:
        return True
    paged = any(
        user.pk in event.detail.get("users", [])
        for event in alert.events.filter(kind__in=("notified", "escalated"))
    )
    assert alert.paged_organisation is not None
    return paged or user in on_call_now(alert.paged_organisation, timezone.now())


def may_acknowledge(actor: User, alert: SafetyAlert) -> bool:
    """Return whether the actor is someone the alert is for.

    That is the care team; the paged practice's admins; and its prescribers whom
    the alert reached or who are on call now. An acknowledgement stops escalation,
    so a colleague of the paged practice who was never paged cannot stop it.
    """
    if seat(actor, alert.client, (*CLINICIAN_ROLES, Role.COORDINATOR)) is not None:
        return True
    roles = {
        m.role
        for m in policy.active_memberships(actor)
        if m.organisation_id == alert.paged_organisation_id
    }
    if Role.PRACTICE_ADMIN in roles:
        return True
    if Role.PRESCRIBER not in roles or alert.paged_organisation is None:
        return False
    return actor.pk in already_told(alert) or actor in on_call_now(
        alert.paged_organisation, timezone.now()
    )


def may_resolve(actor: User, alert: SafetyAlert, item: Any = _UNREAD) -> bool:
    """Return whether the actor may record the alert's outcome (which resolves it).

    Only a clinician who reads the alert's details may: a therapist or prescriber
    on the care team, or a prescriber of the paged practice who reads them as its
    on-call (``access.on_call_reader``). Resolving stops the escalation, so nobody
    resolves an alert they cannot see; a practice admin acknowledges but does not
    record a clinical assessment. ``item`` is the viewer's ``selectors.alert_item``
    when the caller already has it.
    """
    if item is _UNREAD:
        item = alert_item(actor, alert)
    if item is None or not item.shown:
        return False
    if seat(actor, alert.client, CLINICIAN_ROLES) is not None:
        return True
    paged_prescriber = any(
        m.organisation_id == alert.paged_organisation_id and m.role == Role.PRESCRIBER
        for m in policy.active_memberships(actor)
    )
    return paged_prescriber and on_call_reader(actor, alert)


def rota_gaps(
    organisation: Organisation, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Return the stretches between ``start`` and ``end`` that no shift covers."""
    shifts = OnCallShift.objects.filter(
        Q(organisation=organisation), starts_at__lt=end, ends_at__gt=start
    ).order_by("starts_at")
    gaps = []
    cursor = start
    for shift in shifts:
        if shift.starts_at > cursor:
            gaps.append((cursor, min(shift.starts_at, end)))
        cursor = max(cursor, shift.ends_at)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def current_plan(client: Client) -> SafetyPlan | None:
    return (
        SafetyPlan.objects.filter(client=client).select_related("saved_by", "organisation").first()
    )


def orgs_sharing_crisis_details(alerts: list[SafetyAlert]) -> set[int]:
    """Return which of the alerts' raising practices share crisis details without a release."""
    if not alerts:
        return set()
    return set(
        CareSettings.objects.filter(
            organisation_id__in={a.organisation_id for a in alerts},
            share_safety_details_without_release=True,
        ).values_list("organisation_id", flat=True)
    )


def alert_timeline_item(
    alert: SafetyAlert,
    gate: Gate,
    open_orgs: set[int],
    alert_url: Callable[[Any], str] | None = None,
) -> Item:
    """Return the alert as a timeline item: its existence always, its details as the gate allows.

    ``alert_url``: the alert page's link for a public id, when a page of many alerts
    reversed it once (``core.links.per_id("care:alert")``).
    """
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
        by_line(alert.raised_by, alert.organisation),
        decision,
        [("What happened", alert.summary), ("Immediate steps", alert.steps)],
        alert_url(alert.public_id)
        if alert_url is not None
        else reverse("care:alert", kwargs={"alert_id": alert.public_id}),
        obj=alert,
        pk=alert.pk,
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
    org_id = alert_reader_org(viewer, alert)
    if org_id is None:
        return None
    gate = Gate(viewer, alert.client, org_id)
    item = alert_timeline_item(alert, gate, orgs_sharing_crisis_details([alert]))
    gate.account()
    return item


def alert_reader_org(viewer: Any, alert: SafetyAlert) -> int | None:
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
    """An open alert as the banner shows it: reference, level, link, and whose it is.

    ``client`` is the client's name when the reader may see them (``clients.naming``),
    otherwise "" and the reference alone stands for it; nothing clinical.
    """

    reference: str
    level: str
    url: str
    client: str = ""


#: One row of ``open_alert_rows``: the alert's public id, reference, level and client id.
AlertRow = tuple[Any, str, str, int | None]


#: Where the signed-in user carries ``alert_may_wait()``, loaded with them on every request.
ALERT_MAY_WAIT = "_tandem_alert_may_wait"


def alert_may_wait() -> ExpressionWrapper:
    """Return, over a user row, whether an open alert may be one the user must answer.

    True when an open alert's client has the user on its care team as a clinician, or
    an open alert pages a practice where the user is an active prescriber: every alert
    ``open_alert_rows`` can return meets one of these (it also asks for the practice's
    membership, the rota and the second factor), so where this is false it returns none.
    Registered as a column of the signed-in user's own query (``policy.register_user_column``),
    it spares the banner's query on the pages of someone no alert waits for.
    """
    open_alerts = SafetyAlert.objects.filter(status=AlertStatus.OPEN)
    seat = CareTeamMember.objects.filter(
        Exists(open_alerts.filter(client=OuterRef("client"))),
        user=OuterRef("pk"),
        ended_on__isnull=True,
        role__in=CLINICIAN_ROLES,
    )
    paged = Membership.objects.filter(
        Exists(open_alerts.filter(paged_organisation=OuterRef("organisation"))),
        user=OuterRef("pk"),
        role=Role.PRESCRIBER,
        is_active=True,
    )
    return ExpressionWrapper(Q(Exists(seat)) | Q(Exists(paged)), output_field=BooleanField())


def open_alert_rows(viewer: Any, *, settled: bool = False) -> list[AlertRow]:
    """Return the open, unacknowledged alerts the viewer must answer: at most one more than shown.

    They are the alerts of clients on whose care team the viewer is a clinician,
    and those of the practice for which the viewer is the on-call prescriber now
    (on the rota now, or flagged on call when nobody is on the rota): both may
    open the alert (``access.alert_rule``). One query, newest first. A page that
    lists them in two places (the home page's queue and the banner) reads them once
    and passes the rows to ``open_alerts_to_answer`` for each.

    ``settled``: the request changes nothing (a GET), so what was loaded with the
    viewer at its start still holds; when that says no alert may wait for them
    (``alert_may_wait``) there is none to read. A request that writes (a POST that
    raises an alert or seats the viewer on a care team) reads the alerts as before.
    """
    if not policy.may_see_clinical_data(viewer):
        return []
    if settled and not getattr(viewer, ALERT_MAY_WAIT, True):
        return []
    memberships = policy.active_memberships(viewer)
    clinician_orgs = [m.organisation_id for m in memberships if m.role in CLINICIAN_ROLES]
    if not clinician_orgs:
        return []
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
        # As ``crisis.on_call_now``: the rota now, else the prescribers flagged on call.
        # Uncorrelated subqueries and the memberships already read this request, not an
        # Exists per alert: the same alerts, for a query that is cheaper to build.
        now = timezone.now()
        # The viewer is signed in, so active: their own shift needs no check of that.
        on_shift = OnCallShift.objects.filter(
            organisation_id__in=prescriber_orgs, user=viewer, starts_at__lte=now, ends_at__gt=now
        ).values("organisation_id")
        wanted |= Q(paged_organisation_id__in=on_shift)
        flagged = [
            m.organisation_id
            for m in memberships
            if m.role == Role.PRESCRIBER and m.is_on_call and m.is_active
        ]
        if flagged:
            # A practice with anyone (active) on its rota now pages them, not the flagged.
            rota_now = OnCallShift.objects.filter(
                organisation_id__in=flagged,
                starts_at__lte=now,
                ends_at__gt=now,
                user__is_active=True,
            ).values("organisation_id")
            wanted |= Q(paged_organisation_id__in=flagged) & ~Q(paged_organisation_id__in=rota_now)
    return list(
        SafetyAlert.objects.filter(status=AlertStatus.OPEN)
        .filter(wanted)
        .order_by("-raised_at", "-pk")
        .values_list("public_id", "reference", "level", "client_id")[: BANNER_ALERTS + 1]
    )


def open_alerts_to_answer(
    viewer: Any,
    *,
    where: str = "open-alert banner",
    rows: list[AlertRow] | None = None,
    settled: bool = False,
) -> tuple[list[OpenAlert], bool]:
    """Return the open, unacknowledged alerts the viewer must answer, and whether there are more.

    The alerts are ``open_alert_rows`` (read here unless the page already holds its
    ``rows``; ``settled`` as there). A constant number of queries, whatever the number of alerts: a
    reference, a level, a link, and the client's name only to a reader the access
    policy lets see the client (recorded in the audit trail, ``where`` says on which
    page). Every alert is listed, named or not.
    """
    if rows is None:
        rows = open_alert_rows(viewer, settled=settled)
    named = naming.names(viewer, sorted({r[3] for r in rows[:BANNER_ALERTS] if r[3]}), where=where)
    shown = [
        OpenAlert(
            reference,
            AlertLevel(level).label.split(":")[0],
            reverse("care:alert", kwargs={"alert_id": public_id}),
            named.get(client_id, "") if client_id is not None else "",
        )
        for public_id, reference, level, client_id in rows[:BANNER_ALERTS]
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
    org_id = alert_reader_org(viewer, alert)
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
