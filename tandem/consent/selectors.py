"""Reads of releases and disclosures, for the pages that show them."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from tandem.clients.models import Client
from tandem.consent.categories import Category
from tandem.consent.models import Disclosure, PartyRole, Release, ReleaseStatus


@dataclass
class ReleaseGroups:
    waiting: list[Release]
    active: list[Release]
    expired: list[Release]
    ended: list[Release]


def releases_by_state(client: Client) -> ReleaseGroups:
    """Return the client's releases grouped as the client thinks of them."""
    now = timezone.now()
    groups = ReleaseGroups([], [], [], [])
    releases = Release.objects.filter(client=client).prefetch_related(
        "parties__organisation", "parties__user"
    )
    for release in releases:
        if release.status == ReleaseStatus.DRAFT:
            groups.waiting.append(release)
        elif release.status == ReleaseStatus.SIGNED and not release.is_expired(now):
            groups.active.append(release)
        elif release.status == ReleaseStatus.SIGNED:
            groups.expired.append(release)
        elif release.status in (ReleaseStatus.REVOKED, ReleaseStatus.SUPERSEDED):
            groups.ended.append(release)
    return groups


@dataclass
class FlowRow:
    category: str
    label: str
    releases: list[Release]


def consent_summary(client: Client) -> list[FlowRow]:
    """Return, per category, the active releases that let it flow (empty list: withheld)."""
    groups = releases_by_state(client)
    rows = []
    for category in Category:
        covering = [r for r in groups.active if category.value in r.categories]
        rows.append(FlowRow(category.value, category.label, covering))
    return rows


def recipients_of(release: Release) -> list[str]:
    return [p.organisation.name for p in release.parties.all() if p.role == PartyRole.RECIPIENT]


def disclosures_for(client: Client) -> QuerySet[Disclosure]:
    """Return the accounting of disclosures for ``client``, newest first."""
    return (
        Disclosure.objects.filter(client=client).select_related("release").order_by("-disclosed_at")
    )
