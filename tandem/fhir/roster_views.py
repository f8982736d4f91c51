"""The roster import section of the practice settings: upload a Bundle, follow its import.

Registered with the practice settings page when the app starts; reached, like every
settings page, only by the practice's admins with MFA (everyone else gets the 404 of
a missing practice). The import runs in the task worker; its page polls a status
fragment every second with HTMX, and refreshes itself without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.http import AuthenticatedHtmxRequest, AuthenticatedHttpRequest
from tandem.core.htmx import page_or_fragment
from tandem.fhir import roster_actions
from tandem.fhir.models import RosterImport
from tandem.fhir.roster import Report, UnreadableFile, read_json
from tandem.fhir.roster_access import roster_import_for
from tandem.organisations.models import Organisation
from tandem.organisations.settings_sections import Tab, register_section
from tandem.organisations.settings_views import manage

#: The largest roster file accepted in one upload (a few thousand people).
MAX_BYTES = 2 * 1024 * 1024

#: Imports listed on the upload page.
RECENT = 10


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="Roster Bundle (JSON file)",
        help_text="A FHIR R4 Bundle, type transaction or collection, at most 2 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )

    def clean_file(self) -> dict[str, Any]:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; a roster upload is at most "
                f"{MAX_BYTES // 1024 // 1024} MB. Split the roster into several Bundles."
            )
        try:
            bundle = read_json(upload.read())
        except UnreadableFile as error:
            raise forms.ValidationError(str(error)) from None
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise forms.ValidationError(
                'The file holds JSON but not a FHIR Bundle: its resourceType must be "Bundle".'
            )
        return bundle


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Show the upload form and the practice's recent imports; start an import."""
    organisation = manage(request, org_id)
    form = RosterUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        job = roster_actions.start_roster_import(
            actor=request.user, organisation=organisation, bundle=form.cleaned_data["file"]
        )
        return redirect(
            "fhir_roster:import", org_id=organisation.public_id, import_id=job.public_id
        )
    recent = RosterImport.objects.filter(organisation=organisation).order_by("-created_at")[:RECENT]
    return render(
        request,
        "fhir/roster/upload.html",
        {
            "organisation": organisation,
            "form": form,
            "recent": recent,
            "max_mb": MAX_BYTES // 1024 // 1024,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def status(request: AuthenticatedHtmxRequest, org_id: str, import_id: str) -> HttpResponse:
    """Show an import's progress, then its report; HTMX asks for the status fragment alone."""
    organisation = manage(request, org_id)
    job = roster_import_for(request.user, organisation, import_id)
    template = page_or_fragment(request, "fhir/roster/import.html", "status")
    if job.is_finished or not request.htmx:
        # The page names the import; its report, once there, the records it made. A poll
        # of a running import shows only the progress.
        roster_actions.record_report_read(actor=request.user, job=job)
    report = Report.from_json(job.report) if job.is_finished else Report()
    return render(
        request,
        template,
        {
            "organisation": organisation,
            "job": job,
            "report": report,
            "counts": sorted(report.counts().items()),
        },
    )


def _card(organisation: Organisation) -> dict[str, Any]:
    return {
        "last_import": RosterImport.objects.filter(organisation=organisation)
        .order_by("-created_at")
        .first()
    }


register_section(
    "Roster import",
    order=60,
    template="fhir/roster/_card.html",
    context=_card,
    tabs=(Tab("Roster import", "fhir_roster:upload", "roster"),),
)
