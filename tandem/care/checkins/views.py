"""Pages of progress check-ins: the cadence, unsolicited updates, answering a request."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care import selectors as care_selectors
from tandem.care.access import team_client_for
from tandem.care.checkins import actions, forms, selectors
from tandem.care.checkins.access import checkin_for
from tandem.care.checkins.models import CheckInStatus
from tandem.care.pages import apply_errors, tell
from tandem.clients.access import seat
from tandem.core.roles import Role

#: Check-ins listed on the tab; the rest are on the timeline, filtered to check-ins.
RECENT_CHECKINS = 10


@login_required
@require_http_methods(["GET", "POST"])
def checkins(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """Set the check-in cadence (prescriber) or send an unsolicited update (therapist)."""
    client = team_client_for(request.user, client_id)
    role = seat(request.user, client)
    role_name = role.role if role else ""
    cadence_form = forms.CadenceForm(request.POST if "cadence" in request.POST else None)
    update_form = forms.CheckInForm(request.POST if "update" in request.POST else None)
    if request.method == "POST":
        actor = request.user
        if "cadence" in request.POST and role_name == Role.PRESCRIBER and cadence_form.is_valid():
            try:
                actions.set_checkin_cadence(actor=actor, client=client, **cadence_form.cleaned_data)
            except ValidationError as error:
                apply_errors(cadence_form, error)
            else:
                messages.success(request, "Check-in cadence saved.")
                return redirect("care:checkins", client_id=client.public_id)
        elif "update" in request.POST and role_name == Role.THERAPIST and update_form.is_valid():
            try:
                _, result = actions.send_progress_update(
                    actor=actor, client=client, data=update_form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(update_form, error)
            else:
                tell(request, result, "Progress update")
                return redirect("care:timeline", client_id=client.public_id)
        elif role_name not in (Role.PRESCRIBER, Role.THERAPIST):
            raise Http404("Not found.")
    cadence = (
        getattr(client, "checkin_cadence", None) if hasattr(client, "checkin_cadence") else None
    )
    # The newest check-ins, requested and answered, as the timeline shows them to this
    # reader (another practice's answers only under a release; those shown accounted).
    recent = care_selectors.timeline_page(
        request.user, client, [care_selectors.Kind.CHECKIN], size=RECENT_CHECKINS
    )
    return render(
        request,
        "care/checkins.html",
        {
            "client": client,
            "checkins": recent.items,
            "more_checkins": recent.older is not None,
            "role": role_name,
            "cadence": cadence,
            "cadence_form": cadence_form,
            "update_form": update_form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request: AuthenticatedHttpRequest, checkin_id: str) -> HttpResponse:
    """Answer a requested check-in (the therapist), or read an answered one."""
    item = checkin_for(request.user, checkin_id)
    is_therapist = seat(request.user, item.client, (Role.THERAPIST,)) is not None
    form = forms.CheckInForm(request.POST or None)
    if request.method == "POST":
        if not is_therapist:
            raise Http404("Not found.")
        if form.is_valid():
            try:
                result = actions.answer_checkin(
                    actor=request.user, checkin=item, data=form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                tell(request, result, "Progress update")
                return redirect("care:timeline", client_id=item.client.public_id)
    record(actor=request.user, action=AuditAction.VIEW, obj=item, client=item.client)
    shown = selectors.checkin_item(request.user, item)
    return render(
        request,
        "care/checkin.html",
        {
            "checkin": item,
            "client": item.client,
            "form": form if is_therapist and item.status == CheckInStatus.REQUESTED else None,
            "item": shown,
        },
    )
