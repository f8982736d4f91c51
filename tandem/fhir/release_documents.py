"""Signed releases as DocumentReference: the PDF the web's "Download PDF" gives, by the same door.

A DocumentReference id is a signed consult note's or a signed release's public id; the
read tries the note first, then the release. Who may read a release's document is who
may download its PDF on the web (``consent.access.signed_release_for``: the release rule,
the same one the Consent read goes through), and each read is audited as that download
is (an export, format pdf). A search returns releases only when asked for them with
``type=http://loinc.org|59284-0``; without ``type`` it returns the notes, as before.

Imported by ``FhirConfig.ready``, which wraps the DocumentReference entry of
``selectors.RESOURCES`` with this module's read and search.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import Http404

from tandem.audit.actions import record_many
from tandem.audit.models import AuditAction
from tandem.clients.access import seats
from tandem.consent.access import signed_release_for
from tandem.consent.models import Release
from tandem.consent.pdf import release_pdf
from tandem.consent.selectors import practice_zones
from tandem.core import policy
from tandem.core.policy import Action
from tandem.fhir import codes, mapping, selectors, versions
from tandem.fhir.selectors import ReadFn, Search, SearchFn
from tandem.fhir.validation import InvalidResource, Problem

RELEASES = f"{codes.LOINC}|{mapping.RELEASE_DOCUMENT_TYPE}"
NOTES = f"{codes.LOINC}|{mapping.NOTE_DOCUMENT_TYPE}"
_TYPE_RULE = (
    f"type is {RELEASES} (signed releases) or {NOTES} (consult notes), one at a time; "
    "the bare code is taken too."
)


def _kind(search: Search) -> str:
    """Return which documents the search asks for ("notes" or "releases"), or refuse ``type``."""
    sent = [t for value in search.params.get("type", []) for t in value.split(",") if t]
    wanted = set()
    for token in sent:
        system, _, code = token.rpartition("|")
        if system not in ("", codes.LOINC) or code not in (
            mapping.RELEASE_DOCUMENT_TYPE,
            mapping.NOTE_DOCUMENT_TYPE,
        ):
            raise InvalidResource([Problem("type", _TYPE_RULE, "not-supported")])
        wanted.add(code)
    if len(wanted) > 1:
        raise InvalidResource([Problem("type", _TYPE_RULE, "not-supported")])
    return "releases" if wanted == {mapping.RELEASE_DOCUMENT_TYPE} else "notes"


def _documents(actor: Any, releases: list[Release], via: str) -> list[dict[str, Any]]:
    """Return the releases as DocumentReferences, audited as PDF downloads (queries: constant)."""
    models.prefetch_related_objects(releases, "parties__organisation")
    zones = practice_zones(releases)
    numbers = versions.consent_version_of(releases)
    members = seats(actor, {r.client_id for r in releases}) if releases else {}
    record_many(
        [
            {
                "actor": actor,
                "action": AuditAction.EXPORT,
                "obj": release,
                "client": release.client,
                "organisation": getattr(members.get(release.client_id), "organisation", None),
                "detail": {"format": "pdf", "via": via},
            }
            for release in releases
        ]
    )
    return [
        versions.with_meta(mapping.release_document(r, release_pdf(r, zones[r.pk])), *numbers[r.pk])
        for r in releases
    ]


def release_document(actor: Any, public_id: Any) -> dict[str, Any]:
    """Return the signed release's document; 404 where the web's PDF download would be."""
    release = signed_release_for(actor, public_id)
    return _documents(actor, [release], "fhir")[0]


def wrap(note_read: ReadFn, note_search: SearchFn) -> tuple[ReadFn, SearchFn]:
    """Return the DocumentReference read and search that serve releases beside the notes."""

    def read(actor: Any, public_id: Any) -> dict[str, Any]:
        try:
            return note_read(actor, public_id)
        except (Http404, policy.Forbidden):
            pass  # not a note this caller may read: perhaps a release
        return release_document(actor, public_id)

    def search(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
        if _kind(search) == "notes":
            return note_search(actor, search)
        return search_releases(actor, search)

    return read, search


def search_releases(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    """Signed releases the caller may download, newest signature first."""
    qs = policy.scope(
        actor, Action.VIEW, Release.objects.filter(signed_at__isnull=False)
    ).select_related("client", "form_text", "attested_by")
    if search.patient:
        qs = qs.filter(client__public_id=selectors._uuid_or_none(search.patient))
    qs = selectors._filter_updated(qs, "signed_at", search).order_by("-signed_at", "-pk")
    rows, total = selectors._page(qs, search)
    return _documents(actor, rows, "fhir-search"), total


_read, _search, _params = selectors.RESOURCES["DocumentReference"]
assert _search is not None
selectors.RESOURCES["DocumentReference"] = (*wrap(_read, _search), _params | {"type"})
