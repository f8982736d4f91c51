"""Sharing between the organisations of a care team, always through the consent decision point."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse

from tandem.accounts.models import User
from tandem.clients.models import CareTeamMember, Client
from tandem.consent import actions as consent_actions
from tandem.consent.categories import Purpose
from tandem.consent.decision import Decision, Party
from tandem.core.calendar import BusinessCalendar
from tandem.organisations.models import Membership, Organisation

PURPOSE = Purpose.TREATMENT_COORDINATION


@dataclass(frozen=True)
class Outcome:
    """What happened when one item went to one care-team member."""

    member: CareTeamMember
    decision: Decision

    @property
    def delivered(self) -> bool:
        return self.decision.allowed


def team(client: Client, roles: tuple[str, ...] | None = None) -> list[CareTeamMember]:
    """Return the client's active care-team members (in active memberships), with user and org."""
    membership = Membership.objects.filter(
        user=OuterRef("user"), organisation=OuterRef("organisation"), is_active=True
    )
    qs = CareTeamMember.objects.filter(
        Exists(membership), client=client, ended_on__isnull=True, user__is_active=True
    ).select_related("user", "organisation")
    if roles is not None:
        qs = qs.filter(role__in=roles)
    return list(qs.order_by("pk"))


def share(
    *,
    actor: User | None,
    client: Client,
    obj: Any,
    category: str,
    description: str,
    source: Party,
    members: list[CareTeamMember],
) -> list[Outcome]:
    """Disclose ``obj`` to each member (recording it) as far as consent allows; return outcomes.

    Members of the source organisation need no disclosure; members elsewhere get
    the item only when ``consent.actions.disclose`` allows it, under its lock.
    """
    outcomes = []
    for member in members:
        if member.user_id == source.user_id:
            continue
        decision = consent_actions.disclose(
            actor=actor,
            client=client,
            category=category,
            source=source,
            recipient=Party(member.organisation_id, member.user_id),
            purpose=PURPOSE,
            description=description,
            obj=obj,
        )
        outcomes.append(Outcome(member, decision))
    return outcomes


def calendar_of(organisation: Organisation) -> BusinessCalendar:
    """Return the organisation's business calendar: its referral policy's hours, else 9 to 5."""
    from tandem.referrals.models import PracticePolicy

    practice_policy = PracticePolicy.objects.filter(organisation=organisation).first()
    if practice_policy is not None:
        return practice_policy.calendar()
    return BusinessCalendar(
        time_zone=organisation.time_zone,
        country=organisation.holiday_country,
        subdivision=organisation.holiday_subdivision,
    )


def client_link(name: str, client: Client) -> str:
    return reverse(name, kwargs={"client_id": client.public_id})
