"""Sharing between the organisations of a care team, always through the consent decision point."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse

from tandem.accounts.models import User
from tandem.clients.access import seat
from tandem.clients.models import CareTeamMember, Client
from tandem.consent import actions as consent_actions
from tandem.consent import selectors as consent_selectors
from tandem.consent.categories import Purpose
from tandem.consent.decision import ConsentContext, Decision, Party, decide
from tandem.consent.timeline import PURPOSE
from tandem.core.calendar import BusinessCalendar
from tandem.core.policy import Forbidden
from tandem.organisations.models import Membership, Organisation
from tandem.referrals.models import PracticePolicy

__all__ = [
    "PURPOSE",
    "Outcome",
    "SendResult",
    "StaleError",
    "calendar_of",
    "require_seat",
    "share",
    "team",
]


@dataclass(frozen=True)
class Outcome:
    """What happened when one item went to one care-team member."""

    member: CareTeamMember
    decision: Decision

    @property
    def delivered(self) -> bool:
        return self.decision.allowed


@dataclass
class SendResult:
    """Who received an item, and who did not and why (the consent decision's message)."""

    delivered: list[CareTeamMember] = field(default_factory=list)
    held: list[tuple[CareTeamMember, str]] = field(default_factory=list)

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> SendResult:
        result = cls()
        for o in outcomes:
            if o.delivered:
                result.delivered.append(o.member)
            else:
                result.held.append((o.member, o.decision.message))
        return result


class StaleError(Exception):
    """Someone else saved a newer version while this one was being edited."""


def require_seat(actor: User, client: Client, roles: tuple[str, ...], what: str) -> CareTeamMember:
    """Return the actor's seat on the client's care team in one of ``roles``; Forbidden otherwise."""
    member = seat(actor, client, roles)
    if member is None:
        raise Forbidden(what)
    return member


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


@dataclass(frozen=True)
class WouldHold:
    """A care-team member an item would not reach, why, and the release that would fix it."""

    member: CareTeamMember
    reason: str
    request_url: str


def would_hold(
    *, client: Client, category: str, source: Party, members: list[CareTeamMember]
) -> list[WouldHold]:
    """Return who ``share`` would hold the item for, judged now, before anything is sent.

    A read only: nothing is disclosed or recorded. Each comes with the link that
    opens a release prepared for that category, from the source to their practice.
    """
    context = ConsentContext.load([client.pk])
    found = []
    for member in members:
        if member.user_id == source.user_id or member.organisation_id == source.organisation_id:
            continue
        decision = decide(
            context,
            client_id=client.pk,
            category=category,
            source=source,
            recipient=Party(member.organisation_id, member.user_id),
            purpose=PURPOSE,
        )
        if decision.allowed:
            continue
        source_org = Organisation.objects.get(pk=source.organisation_id)
        found.append(
            WouldHold(
                member,
                decision.message,
                consent_selectors.release_request_url(
                    client,
                    categories=[category],
                    source=source_org,
                    recipient=member.organisation,
                    purpose=Purpose.TREATMENT_COORDINATION,
                ),
            )
        )
    return found
