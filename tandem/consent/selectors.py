"""Reads of releases and disclosures, for the pages that show them.

Each returns everything its page needs in a fixed number of queries, whatever
the number of rows.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from tandem.clients.models import CareTeamMember, Client
from tandem.consent.categories import Category, Purpose
from tandem.consent.decision import exception_organisations, exception_survivors
from tandem.consent.models import Disclosure, PartyRole, Release, ReleaseParty, ReleaseStatus
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.organisations.models import Membership, Organisation, OrganisationKind

#: How far ahead the practice's list of releases expiring soon looks.
EXPIRING_WITHIN_DAYS = 30


@dataclass
class ReleaseGroups:
    waiting: list[Release]
    active: list[Release]
    expired: list[Release]
    ended: list[Release]


REVOCATION_STOPS = (
    "Nothing more will be shared under this release{when}. What was already shared stays "
    "with the recipient, and in your list of what has been shared."
)


def treatment_exception_orgs() -> frozenset[int]:
    """Return the organisations that turned on the treatment exception."""
    return frozenset(exception_organisations().values_list("pk", flat=True))


def what_remains_shared(release: Release, exception_orgs: frozenset[int]) -> list[str]:
    """Return, for the client, what sharing continues once ``release`` is revoked: one sentence
    per organisation on it that relies on the treatment exception (empty when none does)."""
    parties = list(release.parties.all())
    sentences = []
    for org_id in exception_survivors(release, exception_orgs):
        source = next(p.organisation for p in parties if p.organisation_id == org_id)
        others = sorted(
            {
                p.organisation.name
                for p in parties
                if p.organisation_id != org_id
                and (release.two_way or p.role == PartyRole.RECIPIENT)
            }
        )
        if not others:
            continue
        sentences.append(
            f"{source.name} may still share information with {' and '.join(others)} for your "
            "treatment without a release, as the law allows between treating providers, but "
            "only when a clinician records the legal basis for each disclosure. Every such "
            "disclosure appears in your list of what has been shared."
        )
    return sentences


def revocation_notice(release: Release) -> str:
    """Return what the client is told once they revoked ``release``: exactly what stays true."""
    remains = what_remains_shared(release, treatment_exception_orgs())
    return " ".join(
        ["Revoked.", REVOCATION_STOPS.format(when=""), *remains, "Your clinicians have been told."]
    )


def releases_by_state(client: Client, *, for_the_client: bool = False) -> ReleaseGroups:
    """Return the client's releases grouped as the client thinks of them.

    ``for_the_client`` adds to each release ``revocation_stops`` and
    ``remains_shared``: what revoking it stops, and what sharing continues all the
    same, for the client's own page to say (one more query).
    """
    now = timezone.now()
    groups = ReleaseGroups([], [], [], [])
    releases = Release.objects.filter(client=client).prefetch_related(
        "parties__organisation", "parties__user"
    )
    exception_orgs = treatment_exception_orgs() if for_the_client else frozenset()
    for release in releases:
        if for_the_client:
            release.revocation_stops = REVOCATION_STOPS.format(  # type: ignore[attr-defined]
                when=" from the moment you confirm"
            )
            release.remains_shared = what_remains_shared(release, exception_orgs)  # type: ignore[attr-defined]
        if release.status == ReleaseStatus.DRAFT:
            groups.waiting.append(release)
        elif release.status == ReleaseStatus.SIGNED and not release.is_expired(now):
            groups.active.append(release)
        elif release.status == ReleaseStatus.SIGNED:
            groups.expired.append(release)
        elif release.status in (ReleaseStatus.REVOKED, ReleaseStatus.SUPERSEDED):
            groups.ended.append(release)
    return groups


def party_label(party: ReleaseParty) -> str:
    """Return how a party is named on screen: the clinician and their organisation, or the organisation."""
    if party.user is not None:
        return f"{party.user.display_name}, {party.organisation.name}"
    return party.organisation.name


def until_label(release: Release) -> str:
    """Return when the release ends, in words: a date, an event, or whichever comes first."""
    event = release.get_expiry_event_display().lower() if release.expiry_event else ""
    if release.expires_on and event:
        return f"{release.expires_on:%b} {release.expires_on.day}, {release.expires_on.year}, or {event} if sooner"
    if release.expires_on:
        return f"{release.expires_on:%b} {release.expires_on.day}, {release.expires_on.year}"
    return event.capitalize()


@dataclass
class Flow:
    """One release letting one category go from some parties to others."""

    release: Release
    sources: list[str]
    recipients: list[str]
    two_way: bool
    until: str


@dataclass
class FlowRow:
    category: str
    label: str
    flows: list[Flow] = field(default_factory=list)

    @property
    def withheld(self) -> bool:
        return not self.flows


def _flow(release: Release) -> Flow:
    parties = list(release.parties.all())
    return Flow(
        release=release,
        sources=[party_label(p) for p in parties if p.role == PartyRole.DISCLOSER],
        recipients=[party_label(p) for p in parties if p.role == PartyRole.RECIPIENT],
        two_way=release.two_way,
        until=until_label(release),
    )


@dataclass
class ConsentStatus:
    groups: ReleaseGroups
    rows: list[FlowRow]


def consent_status(client: Client) -> ConsentStatus:
    """Return the client's releases and, per category, which way it may flow (none: withheld)."""
    groups = releases_by_state(client)
    flows = {release.pk: _flow(release) for release in groups.active}
    rows = [
        FlowRow(
            category.value,
            category.label,
            [flows[r.pk] for r in groups.active if category.value in r.categories],
        )
        for category in Category
    ]
    return ConsentStatus(groups, rows)


def party_options(client: Client) -> tuple[list[Organisation], list[Membership]]:
    """Return who a release for ``client`` may name: organisations and clinicians in them.

    The organisations are those on the client's care team plus every active
    psychiatric practice (a release usually comes before the referral).
    """
    team_orgs = CareTeamMember.objects.filter(client=client, ended_on__isnull=True).values(
        "organisation_id"
    )
    organisations = list(
        Organisation.objects.filter(
            Q(pk__in=team_orgs) | Q(kind=OrganisationKind.PSYCHIATRIC_PRACTICE), is_active=True
        ).order_by("name")
    )
    clinicians = list(
        Membership.objects.filter(
            organisation__in=[o.pk for o in organisations],
            is_active=True,
            role__in=[Role.THERAPIST, Role.PRESCRIBER],
            user__is_active=True,
        )
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__full_name")
    )
    return organisations, clinicians


@dataclass
class ExpiringRelease:
    release: Release
    flow: Flow
    days_left: int


def expiring_releases(
    user: Any, *, within_days: int = EXPIRING_WITHIN_DAYS, today: dt.date | None = None
) -> list[ExpiringRelease]:
    """Return signed releases naming the user's organisations that end within ``within_days``.

    Only releases of clients on the user's care teams: the access policy decides.
    """
    today = today or timezone.localdate()
    org_ids = [m.organisation_id for m in policy.active_memberships(user)]
    names_mine = ReleaseParty.objects.filter(release=OuterRef("pk"), organisation_id__in=org_ids)
    releases = (
        policy.scope(user, Action.VIEW, Release.objects.all())
        .filter(
            Exists(names_mine),
            status=ReleaseStatus.SIGNED,
            expires_on__gte=today,
            expires_on__lte=today + dt.timedelta(days=within_days),
        )
        .filter(expiry_event_occurred_at__isnull=True)
        .select_related("client")
        .prefetch_related("parties__organisation", "parties__user")
        .order_by("expires_on", "client__last_name", "pk")
    )
    return [
        ExpiringRelease(r, _flow(r), (r.expires_on - today).days)
        for r in releases
        if r.expires_on is not None
    ]


def accounting_for(user: Any) -> QuerySet[Disclosure]:
    """Return the accounting of disclosures the user may see (a client's own), newest first."""
    return (
        policy.scope(user, Action.VIEW, Disclosure.objects.all())
        .select_related("release", "recipient_organisation", "source_organisation")
        .order_by("-disclosed_at", "-pk")
    )


def practice_zone(release: Release) -> zoneinfo.ZoneInfo:
    """Return the time zone of the practice that prepared the release (for times on its PDF).

    That is the named organisation the preparing clinician works in; failing
    that, the first organisation allowed to disclose; failing that, the site's.
    """
    return practice_zones([release])[release.pk]


def practice_zones(releases: list[Release]) -> dict[int, zoneinfo.ZoneInfo]:
    """Return ``practice_zone`` of each release, the preparers' memberships in one query.

    The releases' parties (with their organisations) are best prefetched.
    """
    own: dict[int, set[int]] = {}
    for m in Membership.objects.filter(
        user_id__in={r.prepared_by_id for r in releases}, is_active=True
    ).values("user_id", "organisation_id"):
        own.setdefault(m["user_id"], set()).add(m["organisation_id"])
    return {r.pk: _zone_of(r, own.get(r.prepared_by_id, set())) for r in releases}


def _zone_of(release: Release, own: set[int]) -> zoneinfo.ZoneInfo:
    parties = list(release.parties.all())
    for party in sorted(
        parties, key=lambda p: (p.organisation_id not in own, p.role != PartyRole.DISCLOSER)
    ):
        return party.organisation.zone
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def release_request_url(
    client: Client,
    *,
    categories: list[str],
    source: Organisation,
    recipient: Organisation,
    purpose: str = Purpose.REFERRAL_AND_COORDINATION,
) -> str:
    """Return the link that opens "prepare a release" filled in for a missing permission.

    Used wherever something would be withheld, before the click: the clinician
    checks the form and the client is asked to sign, as with any release.
    """
    query = urlencode(
        {
            "categories": list(categories),
            "source": str(source.public_id),
            "recipient": str(recipient.public_id),
            "purpose": purpose,
        },
        doseq=True,
    )
    return reverse("consent:prepare", args=[client.public_id]) + "?" + query


def prefilled_release(query: Any, organisations: list[Organisation]) -> dict[str, Any]:
    """Return the prepare form's initial values from a ``release_request_url`` query.

    Anything not on offer (an unknown category or organisation) is left out, so the
    form only starts filled with what it would accept.
    """
    known = {str(o.public_id) for o in organisations}
    initial: dict[str, Any] = {}
    categories = [c for c in query.getlist("categories") if c in Category.values]
    if categories:
        initial["categories"] = categories
    if query.get("source") in known:
        initial["disclosing_organisation"] = query["source"]
    if query.get("recipient") in known:
        initial["receiving_organisation"] = query["recipient"]
    if query.get("purpose") in Purpose.values:
        initial["purpose"] = query["purpose"]
    return initial
