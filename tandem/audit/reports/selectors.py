"""Reads of the audit trail, already scoped to the reader."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.models import AuditAction, AuditEvent, AuditEventClient
from tandem.clients.models import Client
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.organisations.models import Membership, Organisation


@dataclass(frozen=True)
class ReaderZone:
    """The time zone in which an audit reader's dates and times are meant."""

    zone: zoneinfo.ZoneInfo
    #: The practice whose zone it is (None: the site's zone, for platform operators).
    practice: Any = None
    #: How many practices the reader administers (more than one: the first one's zone).
    practices: int = 0

    @property
    def abbreviation(self) -> str:
        """Return the zone's abbreviation now, e.g. "PST"."""
        return timezone.now().astimezone(self.zone).tzname() or str(self.zone)

    def describe(self) -> str:
        """Return a sentence saying in which zone the search dates are days."""
        name = f"{self.zone.key} ({self.abbreviation})"
        if self.practice is None:
            return f"Days in {name}, the site's time zone."
        if self.practices > 1:
            return (
                f"Days in {name}, the time zone of {self.practice.name}, "
                "the first of the practices you administer."
            )
        return f"Days in {name}, your practice's time zone."


def reader_zone(actor: Any) -> ReaderZone:
    """Return the zone of the practice whose events the actor reads: the first they administer.

    The events an admin reads are scoped to the practices they administer; with
    several, the one they were made admin of first decides. Others (platform
    operators) read in the site's zone.
    """
    practices = [
        m.organisation
        for m in sorted(policy.active_memberships(actor), key=lambda m: m.pk)
        if m.role == Role.PRACTICE_ADMIN
    ]
    if not practices:
        return ReaderZone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return ReaderZone(practices[0].zone, practices[0], len(practices))


def _start_of(day: date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def search_events(
    actor: Any,
    *,
    action: str = "",
    actor_id: int | None = None,
    object_id: str = "",
    client_id: str = "",
    since: date | None = None,
    until: date | None = None,
    zone: zoneinfo.ZoneInfo | None = None,
) -> models.QuerySet[AuditEvent]:
    """Return the audit events the actor may read, filtered, newest first.

    ``since`` and ``until`` are days (both included) in ``zone``, by default the
    zone of the practice the actor reads (``reader_zone``).
    """
    zone = zone or reader_zone(actor).zone
    qs = policy.scope(actor, Action.VIEW, AuditEvent.objects.all())
    if action:
        qs = qs.filter(action=action)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if client_id:
        qs = qs.filter(client_id=client_id)
    # Compare instants, not the database's idea of a date: a day starts at midnight
    # in the reader's zone, not the server's.
    if since:
        qs = qs.filter(occurred_at__gte=_start_of(since, zone))
    if until:
        qs = qs.filter(occurred_at__lt=_start_of(until + dt.timedelta(days=1), zone))
    return qs.order_by("-id")


@dataclass(frozen=True)
class KeysetPage:
    """One page of events newest first, keyed by the events on it, not by a page number.

    Counting every matching event to number the pages costs as much as the trail
    is long (a practice's 272,000 events: half a second); a page keyed by the
    id of its last (or first) event (ids follow insertion order across every
    practice's chain) is one index range scan that
    stops after ``size + 1`` rows, however long the trail.
    """

    events: list[AuditEvent]
    has_newer: bool
    has_older: bool

    @property
    def newer_than(self) -> int | None:
        """Return the key of the page before this one ("Newer"), if there is one."""
        return self.events[0].pk if self.has_newer and self.events else None

    @property
    def older_than(self) -> int | None:
        """Return the key of the page after this one ("Older"), if there is one."""
        return self.events[-1].pk if self.has_older and self.events else None


def keyset_page(
    events: models.QuerySet[AuditEvent],
    size: int,
    *,
    before: int | None = None,
    after: int | None = None,
) -> KeysetPage:
    """Return the ``size`` events of ``events`` just older than ``before`` (or newer than ``after``).

    Without either, the newest ``size``. Reads ``size + 1`` rows to know whether
    the page has a neighbour on its far side; the near side has one when a key
    was given (the page was reached from it).
    """
    if after is not None:
        rows = list(events.filter(pk__gt=after).order_by("pk")[: size + 1])
        more = len(rows) > size
        return KeysetPage(list(reversed(rows[:size])), has_newer=more, has_older=True)
    if before is not None:
        events = events.filter(pk__lt=before)
    rows = list(events.order_by("-pk")[: size + 1])
    return KeysetPage(rows[:size], has_newer=before is not None, has_older=len(rows) > size)


#: What a client is shown of the accesses to their record: reads and changes.
CLIENT_VISIBLE_ACTIONS = (AuditAction.VIEW, AuditAction.UPDATE)


def accesses_to_client(actor: Any, client: Client) -> models.QuerySet[AuditEvent]:
    """Return who read or changed ``client``'s record, newest first, as ``actor`` may see it.

    Meant for the client themself: their own visits to their record are left
    out, and the policy shows them nothing about anyone else's record. Lists
    that named them (a caseload page, the inbox, the calendar) count too.
    """
    mine = str(client.public_id)
    listed = AuditEventClient.objects.filter(client_id=mine).values("event_id")
    return (
        policy.scope(actor, Action.VIEW, AuditEvent.objects.all())
        .filter(Q(client_id=mine) | Q(pk__in=listed), action__in=CLIENT_VISIBLE_ACTIONS)
        .exclude(actor_id=actor.pk)
        .order_by("-id")
    )


#: What a list read was, in the client's words (``detail["list"]`` of a VIEW event).
LIST_LABELS = {
    "caseload": "your name in their list of clients",
    "registry": "your scores in the measures registry",
    "case_review": "your scores in the case-review list",
    "book_for_client": "your name in the list of clients to book for",
    "calendar": "your name on the practice's appointment calendar",
    "referral_inbox": "your first name in the practice's referral inbox",
    "referral_tracker": "your name in your therapist's list of referrals",
}

#: Records without a model of their own.
OBJECT_LABELS = {
    "clients.client": "your record",
    "measures.registry": "your scores in the measures registry",
}


def describe_access(event: AuditEvent) -> str:
    """Return what ``event`` touched, in plain words for the client: "consult note"."""
    listed = (event.detail or {}).get("list")
    if listed:
        return LIST_LABELS.get(str(listed), "your name in a list")
    if event.object_type in OBJECT_LABELS:
        return OBJECT_LABELS[event.object_type]
    try:
        model = apps.get_model(event.object_type)
    except (LookupError, ValueError):
        return "your record"
    return str(model._meta.verbose_name)


@dataclass
class Access:
    """One access to a client's record, as the client is shown it."""

    event: AuditEvent
    who: str
    role: str
    organisation: str
    what: str


def access_report(actor: Any, client: Client, events: list[AuditEvent]) -> list[Access]:
    """Return ``events`` (from ``accesses_to_client``) with names, roles and practices.

    Three queries whatever the number of events: the people, the practices the
    events name, and where the people work (for list reads, which name none).
    """
    actor_ids = {e.actor_id for e in events if e.actor_id}
    people = {u.pk: u for u in User.objects.filter(pk__in=actor_ids)}
    orgs = {
        str(o.public_id): o.name
        for o in Organisation.objects.filter(
            public_id__in={e.organisation_id for e in events if e.organisation_id}
        )
    }
    # A list read names no practice (a therapist's caseload): show where the reader works.
    works_at: dict[int, str] = {}
    for m in (
        Membership.objects.filter(user_id__in=actor_ids, is_active=True)
        .select_related("organisation")
        .order_by("pk")
    ):
        works_at.setdefault(m.user_id, m.organisation.name)
    rows = []
    for event in events:
        person = people.get(event.actor_id or 0)
        rows.append(
            Access(
                event=event,
                who=(person.full_name or person.email) if person else "Tandem (automatic)",
                role=Role(event.actor_role).label if event.actor_role in Role.values else "",
                organisation=orgs.get(event.organisation_id, "")
                or works_at.get(event.actor_id or 0, ""),
                what=describe_access(event),
            )
        )
    return rows
