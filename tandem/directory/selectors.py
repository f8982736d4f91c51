"""Reads of the directory, each in a fixed number of queries whatever the number of practices.

The facts behind the measured figures (referral moments, consult-note deliveries,
answered questions, experience answers) are read as plain values: nothing clinical
leaves these functions, only times and counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import F, Min

from tandem.care.messaging.models import Message
from tandem.care.notes.models import DeliveryStatus, NoteDelivery
from tandem.directory import metrics, search, slots
from tandem.directory.models import (
    ExperienceCheck,
    Language,
    PracticeMetrics,
    PracticeProfile,
    Specialty,
)
from tandem.organisations.models import Organisation, OrganisationKind
from tandem.referrals.models import PracticePolicy, Referral, ReferralEvent, ReferralStatus
from tandem.scheduling.models import Appointment, AppointmentStatus


def practices() -> Any:
    """Return the active psychiatric practices with a referral policy, their profile and figures."""
    return (
        Organisation.objects.filter(
            kind=OrganisationKind.PSYCHIATRIC_PRACTICE,
            is_active=True,
            referral_policy__isnull=False,
        )
        .select_related("referral_policy", "directory_profile", "directory_metrics")
        .order_by("name")
    )


def _profile(org: Organisation) -> PracticeProfile:
    found = getattr(org, "directory_profile", None)
    return found if found is not None else PracticeProfile(organisation=org)


def _figures(org: Organisation) -> PracticeMetrics | None:
    return getattr(org, "directory_metrics", None)


def candidates(
    *, now: dt.datetime, slots_for: search.Filters | None = None
) -> list[search.Candidate]:
    """Return every listed practice ready for the search (constant queries: one plus slots').

    The live next slot is read only for the practices it can matter to under ``slots_for``
    (``search.needs_slot``): those that fit, or miss one stated filter. Without filters
    (the referral form's and the bot's suggestions, which never ask "within N weeks") no
    slot is read at all.
    """
    listed = [
        search.Candidate(
            organisation=org,
            policy=org.referral_policy,
            profile=profile,
            figures=_figures(org),
            next_slot=None,
            slot_read=False,
        )
        for org in practices()
        if (profile := _profile(org)).listed
    ]
    if slots_for is None:
        return listed
    wanted = [c for c in listed if search.needs_slot(c, slots_for)]
    next_slots = slots.next_new_patient_slots([c.organisation for c in wanted], now=now)
    read = {c.organisation.pk for c in wanted}
    return [
        replace(
            c,
            next_slot=next_slots.get(c.organisation.pk),
            books_here=c.organisation.pk in next_slots,
            slot_read=True,
        )
        if c.organisation.pk in read
        else c
        for c in listed
    ]


def candidate(organisation: Organisation, *, now: dt.datetime) -> search.Candidate | None:
    """Return one practice as the search sees it (for its public page), or None without a policy."""
    org = practices().filter(pk=organisation.pk).first()
    if org is None:
        return None
    next_slots = slots.next_new_patient_slots([org], now=now)
    return search.Candidate(
        organisation=org,
        policy=org.referral_policy,
        profile=_profile(org),
        figures=_figures(org),
        next_slot=next_slots.get(org.pk),
        books_here=org.pk in next_slots,
    )


# --- The facts behind the figures ---------------------------------------------------------


@dataclass
class PracticeFacts:
    referrals: list[metrics.ReferralFacts]
    messages: list[metrics.MessageFacts]
    experiences: list[metrics.ExperienceFacts]


def facts(
    org_ids: list[int], *, since: dt.datetime, until: dt.datetime, therapist_id: int | None = None
) -> dict[int, PracticeFacts]:
    """Return, per practice, the moments of the referrals sent to it (and its answers) in a period.

    Five queries for any number of practices. With ``therapist_id``, only that therapist's
    referrals (messages and client answers stay practice-wide and are left empty).
    """
    out = {org_id: PracticeFacts([], [], []) for org_id in org_ids}
    sent = Referral.objects.filter(
        to_organisation_id__in=org_ids, sent_at__gte=since, sent_at__lt=until
    ).exclude(sent_at=None)
    if therapist_id is not None:
        sent = sent.filter(therapist_id=therapist_id)
    rows = list(
        sent.values_list(
            "pk",
            "to_organisation_id",
            "from_organisation_id",
            "therapist_id",
            "client_id",
            "sent_at",
            "responded_at",
            "appointment__starts_at",
        )
    )
    ids = [row[0] for row in rows]
    firsts: dict[tuple[int, str], dt.datetime] = {}
    for referral_id, status, at in (
        ReferralEvent.objects.filter(
            referral_id__in=ids,
            to_status__in=[ReferralStatus.SCHEDULED, ReferralStatus.FIRST_VISIT_DONE],
        )
        .values("referral_id", "to_status")
        .annotate(first=Min("at"))
        .values_list("referral_id", "to_status", "first")
    ):
        firsts[(referral_id, status)] = at
    clients = {row[4] for row in rows}
    notes: dict[tuple[int, int, int], list[dt.datetime]] = defaultdict(list)
    for org_id, client_id, recipient_id, decided_at in NoteDelivery.objects.filter(
        note__organisation_id__in=org_ids,
        note__client_id__in=clients,
        status=DeliveryStatus.DELIVERED,
    ).values_list("note__organisation_id", "note__client_id", "recipient_id", "decided_at"):
        notes[(org_id, client_id, recipient_id)].append(decided_at)
    for pk, org_id, _from, therapist, client_id, sent_at, responded, starts in rows:
        visited = firsts.get((pk, ReferralStatus.FIRST_VISIT_DONE))
        first_visit = (
            (starts if starts is not None and starts <= visited else visited) if visited else None
        )
        received = None
        if first_visit is not None:
            after = sorted(
                t
                for t in notes.get((org_id, client_id, therapist), [])
                if t >= first_visit - dt.timedelta(days=1)
            )
            received = after[0] if after else None
        out[org_id].referrals.append(
            metrics.ReferralFacts(
                therapist_id=therapist,
                sent_at=sent_at,  # type: ignore[arg-type]  # excluded None above
                responded_at=responded,
                scheduled_at=firsts.get((pk, ReferralStatus.SCHEDULED)),
                first_visit_at=first_visit,
                note_received_at=received,
            )
        )
    if therapist_id is not None:
        return out
    for org_id, asked, answered in (
        Message.objects.filter(
            is_question=True,
            answered_by_organisation_id__in=org_ids,
            created_at__gte=since,
            created_at__lt=until,
        )
        .exclude(organisation_id=F("answered_by_organisation_id"))
        .values_list("answered_by_organisation_id", "created_at", "answered_at")
    ):
        out[org_id].messages.append(metrics.MessageFacts(asked, answered))
    for org_id, heard, enough in ExperienceCheck.objects.filter(
        organisation_id__in=org_ids, answered_at__gte=since, answered_at__lt=until
    ).values_list("organisation_id", "felt_heard", "enough_time"):
        out[org_id].experiences.append(metrics.ExperienceFacts(heard, enough))
    return out


# --- My partners --------------------------------------------------------------------------


@dataclass
class Partner:
    organisation: Organisation
    practice: PracticeMetrics | None
    mine: metrics.Figures
    referrals: int
    flags: metrics.Flags


def partners(therapist: Any, *, now: dt.datetime) -> list[Partner]:
    """Return the practices the therapist referred to, practice-wide figures beside their own."""
    since = now - dt.timedelta(days=metrics.PERIOD_DAYS)
    counts: dict[int, int] = defaultdict(int)
    for org_id in Referral.objects.filter(therapist=therapist, sent_at__isnull=False).values_list(
        "to_organisation_id", flat=True
    ):
        counts[org_id] += 1
    orgs = list(
        Organisation.objects.filter(pk__in=list(counts))
        .select_related("referral_policy", "directory_metrics")
        .order_by("name")
    )
    own = facts([o.pk for o in orgs], since=since, until=now, therapist_id=therapist.pk)
    out = []
    for org in orgs:
        policy = getattr(org, "referral_policy", None) or PracticePolicy(organisation=org)
        calendar = slots.calendar_of(org, policy.opens, policy.closes)
        mine = metrics.compute(calendar=calendar, period_end=now, referrals=own[org.pk].referrals)
        practice = _figures(org)
        out.append(
            Partner(
                organisation=org,
                practice=practice,
                mine=mine,
                referrals=counts[org.pk],
                flags=metrics.flags(practice, hours_per_day=metrics.hours_per_day(calendar)),  # type: ignore[arg-type]
            )
        )
    return out


# --- Experience checks --------------------------------------------------------------------


@dataclass(frozen=True)
class DueCheck:
    appointment: Appointment
    visit_number: int


def experience_checks_due(client: Any) -> list[DueCheck]:
    """Return the client's completed visits that are owed an (optional) experience check.

    The first visit at each practice, then every few visits; a visit already answered
    (or skipped) is not asked again. Two queries.
    """
    done = list(
        Appointment.objects.filter(client=client, status=AppointmentStatus.COMPLETED)
        .select_related("organisation")
        .order_by("organisation_id", "starts_at", "pk")
    )
    asked = set(
        ExperienceCheck.objects.filter(client=client).values_list("appointment_id", flat=True)
    )
    number: dict[int, int] = defaultdict(int)
    due = []
    for visit in done:
        number[visit.organisation_id] += 1
        n = number[visit.organisation_id]
        if metrics.experience_due(n) and visit.pk not in asked:
            due.append(DueCheck(visit, n))
    return due


def public_profile(organisation: Organisation, *, now: dt.datetime) -> dict[str, Any]:
    """Return what the practice's public page shows of the directory (empty without a policy)."""
    found = candidate(organisation, now=now)
    if found is None:
        return {}
    result = search.evaluate(found, search.Filters(), now=now)
    labels = dict(Specialty.choices)
    languages = dict(Language.choices)
    return {
        "profile": found.profile,
        "figures": found.figures,
        "flags": result.flags,
        "slot_days": result.slot_days,
        "books_here": found.books_here,
        "specialties": [labels[c] for c in found.profile.specialties if c in labels],
        "languages": [languages[c] for c in found.profile.languages if c in languages],
    }
