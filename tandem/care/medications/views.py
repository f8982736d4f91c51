"""The medications page: current medications and their history; the prescriber records changes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.http import AuthenticatedHtmxRequest, AuthenticatedHttpRequest
from tandem.care.access import team_client_for
from tandem.care.medications import actions, drugs, forms, selectors
from tandem.care.pages import apply_errors, tell
from tandem.clients.access import seat
from tandem.core import policy
from tandem.core.pickers import Option
from tandem.core.roles import Role


@login_required
@require_http_methods(["GET", "POST"])
def medications(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """Show current medications and their history; the prescriber records changes here."""
    client = team_client_for(request.user, client_id)
    is_prescriber = seat(request.user, client, (Role.PRESCRIBER,)) is not None
    form = forms.MedicationForm(request.POST or None)
    if request.method == "POST":
        if not is_prescriber:
            raise Http404("Not found.")
        if form.is_valid():
            try:
                _, result = actions.record_medication(
                    actor=request.user, client=client, **form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                tell(request, result, "Medication update")
                return redirect("care:medications", client_id=client.public_id)
    view = selectors.medication_list(request.user, client)
    return render(
        request,
        "care/medications.html",
        {"client": client, "view": view, "form": form if is_prescriber else None},
    )


@login_required
@require_GET
def drug_search(request: AuthenticatedHtmxRequest) -> HttpResponse:
    """Search the shipped medication list by name, class or RxCUI (prescribers, therapists).

    With HTMX from a picker, the results fragment; otherwise a page to look a drug up.
    The list holds no client data; it is still only for clinicians: those who prescribe,
    and therapists naming a client's medications in a referral.
    """
    if not {Role.PRESCRIBER, Role.THERAPIST} & policy.roles(request.user):
        raise Http404("Not found.")
    picking = "picker_q" in request.GET and bool(request.htmx)
    query = request.GET.get("picker_q" if picking else "q", "").strip()
    options = [
        Option(d.name, d.name, f"{d.drug_class}" + (f" · RxCUI {d.rxcui}" if d.rxcui else ""))
        for d in drugs.search(query)
    ]
    template = "core/picker_results.html" if picking else "care/drug_search.html"
    return render(request, template, {"query": query, "options": options})
