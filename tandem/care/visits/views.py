"""The visit plan page: the practice plans the rhythm of visits and sees the follow-up."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.care.access import team_client_for
from tandem.care.pages import apply_errors
from tandem.care.visits import actions, forms, selectors
from tandem.clients.access import seat
from tandem.core.roles import Role


@login_required
@require_http_methods(["GET", "POST"])
def visits(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """Let the practice's prescriber or coordinator plan the visit cadence and see the follow-up."""
    client = team_client_for(request.user, client_id)
    if seat(request.user, client, (Role.PRESCRIBER, Role.COORDINATOR)) is None:
        raise Http404("Not found.")
    view = selectors.visit_plan(client)
    initial = (
        {
            "psychiatry_every_weeks": view.plan.psychiatry_every_weeks,
            "therapy_every_weeks": view.plan.therapy_every_weeks,
            "next_psychiatry_due": view.plan.next_psychiatry_due,
        }
        if view.plan
        else {"psychiatry_every_weeks": 12, "therapy_every_weeks": 1}
    )
    form = forms.VisitPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_visit_plan(actor=request.user, client=client, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Visit plan saved.")
            return redirect("care:visits", client_id=client.public_id)
    return render(
        request,
        "care/visits.html",
        {"client": client, "view": view, "form": form},
        status=400 if form.errors else 200,
    )
