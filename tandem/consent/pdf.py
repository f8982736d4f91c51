"""PDFs a person can print: a signed release, and the client's accounting of disclosures.

WeasyPrint renders them from templates. It is given a fetcher that refuses
every URL, so nothing in a document can make the server read a file or call
out to the network; the templates carry their own styles and no images.
"""

import zoneinfo
from collections.abc import Sequence
from typing import Any, NoReturn

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML, URLFetcher

from tandem.clients.models import Client
from tandem.consent.categories import PART2_NOTICE
from tandem.consent.models import Disclosure, Release, ReleaseKind
from tandem.consent.selectors import practice_zone


class _NoFetching(URLFetcher):
    """Refuse every external resource."""

    def fetch(self, url: str, headers: Any = None) -> NoReturn:
        raise ValueError("Tandem's PDFs load nothing from outside the document.")


def _render(template: str, context: dict[str, Any]) -> bytes:
    html = render_to_string(template, context)
    pdf = HTML(string=html, url_fetcher=_NoFetching()).write_pdf()
    assert pdf is not None  # write_pdf() without a target returns the bytes
    return pdf


def release_pdf(release: Release, zone: zoneinfo.ZoneInfo | None = None) -> bytes:
    """Return the signed release as a PDF: the exact text signed and the signature.

    ``zone`` is the release's ``practice_zone`` when the caller has it already.
    """
    zone = zone or practice_zone(release)
    return _render(
        "consent/release_pdf.html",
        {
            "release": release,
            "signed_at": timezone.localtime(release.signed_at, zone) if release.signed_at else None,
            "revoked_at": timezone.localtime(release.revoked_at, zone)
            if release.revoked_at
            else None,
            "zone": zone.key,
            "part2_notice": PART2_NOTICE if release.kind == ReleaseKind.PART2 else "",
        },
    )


def disclosures_pdf(client: Client, disclosures: Sequence[Disclosure]) -> bytes:
    """Return the client's accounting of disclosures (45 CFR 164.528) as a PDF."""
    return _render(
        "consent/disclosures_pdf.html",
        {"client": client, "disclosures": disclosures, "generated_at": timezone.localtime()},
    )
