"""vread and history-instance: ``GET <type>/<id>/_history/<vid>`` and ``GET <type>/<id>/_history``.

The versions themselves are rebuilt by ``versions``; here each request passes the
same door, policy and consent decision as a read of today's resource (a reader who
may not read it now gets 404 for every version), and is audited as a read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from tandem.consent.access import release_for
from tandem.fhir import mapping, selectors, versions
from tandem.fhir.auth import Caller
from tandem.fhir.outcome import error, resource_response
from tandem.fhir.versions import CURRENT_ONLY, WITH_HISTORY, Version
from tandem.fhir.views import _need, fhir_endpoint
from tandem.referrals import selectors as referral_selectors
from tandem.referrals.access import referral_for, side_of


def _versions(actor: Any, resource_type: str, public_id: Any) -> list[Version]:
    """Return the versions ``actor`` may read, newest first; raise 404 as a read would."""
    if resource_type in ("Task", "ServiceRequest"):
        referral = referral_for(actor, public_id)  # the door: 404 for missing or forbidden; audited
        side = side_of(actor, referral)
        if resource_type == "Task":
            return versions.task_versions(referral, side)
        sections = referral_selectors.packet(actor, referral, side)  # today's consent, accounted
        shown = [s.key for s in sections if s.shown]
        return versions.service_request_versions(referral, side, shown)
    if resource_type == "Consent":
        release = release_for(actor, public_id)
        selectors._record_read(actor, release, release.client)
        return versions.consent_versions(release)
    resource = selectors.RESOURCES[resource_type][0](actor, public_id)  # the read, audited
    vid = resource.get("meta", {}).get("versionId")
    return [Version(int(vid), None, resource)] if vid else []


def _no_versions(resource_type: str) -> HttpResponse:
    return error(
        405,
        f"{resource_type} keeps no earlier versions here: read it without _history.",
        "not-supported",
    )


@require_GET
@fhir_endpoint
def vread(
    request: HttpRequest, caller: Caller, resource_type: str, vid: str, **ids: Any
) -> HttpResponse:
    """Return the resource as it was at version ``vid`` (ETag: that version)."""
    refused = _need(caller, resource_type, "read")
    if refused:
        return refused
    if resource_type not in WITH_HISTORY + CURRENT_ONLY:
        return _no_versions(resource_type)
    found = [v for v in _versions(caller.actor, resource_type, *ids.values()) if str(v.vid) == vid]
    if not found:
        return error(
            404,
            f"No version {vid} of this {resource_type} is kept"
            + (" (only the current one is)." if resource_type in CURRENT_ONLY else "."),
            "not-found",
        )
    return resource_response(found[0].resource, headers={"ETag": f'W/"{found[0].vid}"'})


@require_GET
@fhir_endpoint
def history(request: HttpRequest, caller: Caller, resource_type: str, **ids: Any) -> HttpResponse:
    """Return a history Bundle of the resource's versions, newest first, ``_count`` at a time."""
    refused = _need(caller, resource_type, "read")
    if refused:
        return refused
    if resource_type not in WITH_HISTORY:
        return _no_versions(resource_type)
    query = selectors.parse_search(
        request.GET, set(), settings.FHIR_MAX_PAGE_SIZE, settings.FHIR_PAGE_SIZE
    )
    public_id = next(iter(ids.values()))
    every = _versions(caller.actor, resource_type, public_id)
    page = every[query.offset : query.offset + query.count]
    root = request.build_absolute_uri(reverse("fhir:base"))
    return resource_response(
        {
            "resourceType": "Bundle",
            "type": "history",
            "total": len(every),
            "link": page_links(request, query.offset, query.count, len(every)),
            "entry": [_entry(root, resource_type, public_id, v) for v in page],
        }
    )


def _entry(root: str, resource_type: str, public_id: Any, version: Version) -> dict[str, Any]:
    first = version.vid == 1
    return {
        "fullUrl": f"{root}{resource_type}/{public_id}",
        "resource": version.resource,
        "request": {
            "method": "POST" if first else "PUT",
            "url": resource_type if first else f"{resource_type}/{public_id}",
        },
        "response": {
            "status": "201 Created" if first else "200 OK",
            "etag": f'W/"{version.vid}"',
            **({"lastModified": mapping.instant(version.at)} if version.at else {}),
        },
    }


def page_links(request: HttpRequest, offset: int, count: int, total: int) -> list[dict[str, str]]:
    """Return the Bundle's self, next and previous links for a page of ``count`` at ``offset``."""
    base = request.build_absolute_uri(request.path)
    kept = [(k, v) for k, values in request.GET.lists() if k != "_offset" for v in values]

    def link(relation: str, at: int) -> dict[str, str]:
        return {"relation": relation, "url": f"{base}?{urlencode([*kept, ('_offset', at)])}"}

    links = [link("self", offset)]
    if offset + count < total:
        links.append(link("next", offset + count))
    if offset > 0:
        links.append(link("previous", max(0, offset - count)))
    return links
