"""A resource as it stood at each of its versions: what vread and _history answer.

No resource is stored as it was. A Task is rebuilt from the referral's version rows
(``referrals.ReferralVersion``: status, decline reason, urgency, sent and due times,
when), which the referral's actions write wherever they bump its version; the state
log alone could not (a draft saved, a document added or a visit moved bumps the
version without a state change). A ServiceRequest is the same rows over today's
packet, which is frozen once sent: only the versions since the packet's text last
changed are served. A Consent is rebuilt from the release's status log
(``consent.ReleaseHistory``): a release's terms never change after it is prepared,
only its status, signature and revocation, so version n is the release after its
n-th status change.

Which reader may see which version is today's decision: the same door and consent
decision as a read of the current resource decide for every version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from django.db.models import Count, Max, prefetch_related_objects

from tandem.consent.models import Release, ReleaseHistory, ReleaseStatus
from tandem.fhir import mapping
from tandem.referrals import states
from tandem.referrals.models import DeclineReason, Referral, ReferralStatus, ReferralVersion

#: Resource types whose earlier versions are kept (vread of any version, history-instance).
WITH_HISTORY = ("ServiceRequest", "Task", "Consent")
#: Resource types that carry a versionId but keep no earlier version: vread of the current one.
CURRENT_ONLY = ("DocumentReference", "Appointment")


@dataclass(frozen=True)
class Version:
    """One version of a resource: its number, when it was made, and the resource then."""

    vid: int
    at: dt.datetime | None
    resource: dict[str, Any]


# --- referrals: Task and ServiceRequest ---------------------------------------------------


def _referral_rows(referral: Referral, side: str) -> list[ReferralVersion]:
    """Return the referral's kept versions, newest first, the current one always among them.

    The receiving practice never saw the drafts, so their versions are not its to read.
    """
    prefetch_related_objects([referral], "versions")
    rows = [r for r in referral.versions.all() if r.version < referral.version]
    rows.sort(key=lambda r: r.version, reverse=True)
    current = ReferralVersion(
        referral=referral,
        version=referral.version,
        status=referral.status,
        decline_reason=referral.decline_reason,
        urgent=referral.urgent,
        sent_at=referral.sent_at,
        due_at=referral.due_at,
        at=referral.updated_at,
    )
    rows.insert(0, current)
    if side == states.PRACTICE:
        rows = [r for r in rows if r.status != ReferralStatus.DRAFT]
    return rows


class _ReferralAt:
    """The referral as it stood at one version: that version's row over today's referral.

    Read-only: nothing is assigned to the referral (its status changes only by its
    states module); the mapping reads the versioned fields from the row instead.
    """

    _FROM_ROW: ClassVar[dict[str, str]] = {
        "version": "version",
        "status": "status",
        "decline_reason": "decline_reason",
        "urgent": "urgent",
        "sent_at": "sent_at",
        "due_at": "due_at",
        "updated_at": "at",
    }

    def __init__(self, referral: Referral, row: ReferralVersion) -> None:
        self._referral = referral
        self._row = row

    def __getattr__(self, name: str) -> Any:
        if name in self._FROM_ROW:
            return getattr(self._row, self._FROM_ROW[name])
        return getattr(self._referral, name)

    def get_decline_reason_display(self) -> str:
        reason = self._row.decline_reason
        return str(DeclineReason(reason).label) if reason else ""


def _referral_at(referral: Referral, row: ReferralVersion) -> Referral:
    return cast(Referral, _ReferralAt(referral, row))


def task_versions(referral: Referral, side: str) -> list[Version]:
    """Return every kept version of the referral's Task, newest first."""
    return [
        Version(row.version, row.at, mapping.task(_referral_at(referral, row)))
        for row in _referral_rows(referral, side)
    ]


def service_request_versions(
    referral: Referral, side: str, shown_sections: Iterable[str]
) -> list[Version]:
    """Return the ServiceRequest's versions since its packet text last changed, newest first.

    ``shown_sections`` is today's consent decision for today's reader: it applies to
    every version, as it does to a read of the current one.
    """
    shown = list(shown_sections)
    rows = _referral_rows(referral, side)  # prefetches the rows read just below
    kept = [r for r in referral.versions.all() if r.packet_changed]
    floor = max((r.version for r in kept), default=0)
    return [
        Version(row.version, row.at, mapping.service_request(_referral_at(referral, row), shown))
        for row in rows
        if row.version >= floor
    ]


# --- releases: Consent --------------------------------------------------------------------

_SIGNED_ONCE = frozenset({ReleaseStatus.SIGNED, ReleaseStatus.REVOKED, ReleaseStatus.SUPERSEDED})


class _ReleaseAt:
    """The release after its n-th status change: that log row over today's release."""

    def __init__(self, release: Release, log: ReleaseHistory) -> None:
        self._release = release
        self._log = log

    def __getattr__(self, name: str) -> Any:
        to_status = self._log.to_status
        if name == "status":
            return to_status
        if name == "signed_at" and to_status not in _SIGNED_ONCE:
            return None
        if name == "revoked_at" and to_status != ReleaseStatus.REVOKED:
            return None
        return getattr(self._release, name)


def _consent_at(release: Release, version: int, log: ReleaseHistory) -> dict[str, Any]:
    then = cast(Release, _ReleaseAt(release, log))
    return with_meta(mapping.consent(then), version, log.at)


def with_meta(resource: dict[str, Any], version: int, at: dt.datetime | None) -> dict[str, Any]:
    """Return ``resource`` with ``meta.versionId`` and ``meta.lastUpdated`` set."""
    meta = {"versionId": str(version)}
    if at is not None:
        meta["lastUpdated"] = mapping.instant(at) or ""
    return {"resourceType": resource["resourceType"], "id": resource["id"], "meta": meta} | {
        k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")
    }


def consent_versions(release: Release) -> list[Version]:
    """Return every version of the release as a Consent, newest first (one query)."""
    logs = list(ReleaseHistory.objects.filter(release=release).order_by("pk"))
    if not logs:  # a release made outside the actions: its one version is today's
        return [Version(1, None, with_meta(mapping.consent(release), 1, None))]
    versions = []
    for number, log in enumerate(logs, start=1):
        if number == len(logs):
            resource = with_meta(mapping.consent(release), number, log.at)
        else:
            resource = _consent_at(release, number, log)
        versions.append(Version(number, log.at, resource))
    return versions[::-1]


def consent_version_of(releases: list[Release]) -> dict[int, tuple[int, dt.datetime | None]]:
    """Return each release's current version and when it was made (one query for all)."""
    found = {
        row["release_id"]: (row["n"], row["at"])
        for row in ReleaseHistory.objects.filter(release__in=[r.pk for r in releases])
        .values("release_id")
        .annotate(n=Count("pk"), at=Max("at"))
    }
    return {r.pk: found.get(r.pk, (1, None)) for r in releases}


# --- what the CapabilityStatement and the OpenAPI description say -----------------------


def capability(resource_type: str, entry: dict[str, Any]) -> None:
    """Say truthfully, in ``entry``, how ``resource_type`` is versioned."""
    if resource_type in WITH_HISTORY:
        entry["interaction"] += [{"code": "vread"}, {"code": "history-instance"}]
        entry.setdefault("versioning", "versioned")
        entry["readHistory"] = True
    elif resource_type in CURRENT_ONLY:
        entry["interaction"].append({"code": "vread"})
        entry.setdefault("versioning", "versioned")
        entry["readHistory"] = False
    else:
        entry["versioning"] = "no-version"
        entry["readHistory"] = False


def openapi_paths(fhir: Any, id_param: Any, errors: dict[str, Any]) -> dict[str, Any]:
    """Return the OpenAPI paths of every vread and history route."""
    vid = {"name": "vid", "in": "path", "required": True, "schema": {"type": "string"}}
    paths: dict[str, Any] = {}
    for resource_type in WITH_HISTORY + CURRENT_ONLY:
        paths[f"/fhir/{resource_type}/{{id}}/_history/{{vid}}"] = {
            "parameters": [id_param("id"), vid],
            "get": {
                "summary": f"Read a {resource_type} as it was at one version (vread)",
                "tags": ["FHIR"],
                "responses": {"200": fhir(f"The {resource_type} at that version."), **errors},
            },
        }
        if resource_type in WITH_HISTORY:
            paths[f"/fhir/{resource_type}/{{id}}/_history"] = {
                "parameters": [id_param("id")],
                "get": {
                    "summary": f"Every version of a {resource_type}, newest first",
                    "tags": ["FHIR"],
                    "parameters": [
                        {
                            "name": "_count",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                        {
                            "name": "_offset",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 0},
                        },
                    ],
                    "responses": {"200": fhir("A history Bundle."), **errors},
                },
            }
    return paths
