"""Pages of crisis coordination: raise an alert, answer it, the safety plan, the on-call rota."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.access import team_client_for
from tandem.care.crisis import actions, forms, selectors
from tandem.care.crisis.access import alert_for
from tandem.care.crisis.models import AlertStatus, OnCallShift
from tandem.care.pages import apply_errors
from tandem.care.sharing import StaleError
from tandem.clients.access import CLINICIAN_ROLES, client_for, seat
from tandem.core import policy
from tandem.core.policy import Action, Forbidden
from tandem.core.roles import Role
from tandem.organisations.models import Organisation


@login_required
@require_http_methods(["GET", "POST"])
def alert_new(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """Raise a safety alert (either clinician)."""
    client = team_client_for(request.user, client_id)
    if seat(request.user, client, CLINICIAN_ROLES) is None:
        raise Http404("Not found.")
    form = forms.AlertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            alert = actions.raise_safety_alert(
                request.user,
                client,
                form.cleaned_data["level"],
                form.cleaned_data["summary"],
                form.cleaned_data["steps"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, f"Safety alert {alert.reference} sent. It must be acknowledged in time."
            )
            return redirect("care:alert", alert_id=alert.public_id)
    return render(request, "care/alert_new.html", {"client": client, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def alert(request: AuthenticatedHttpRequest, alert_id: str) -> HttpResponse:
    """Show the alert; acknowledge it; record the hospitalisation assessment and follow-up."""
    item = alert_for(request.user, alert_id)
    actor = request.user
    shown_item = selectors.alert_item(request.user, item)
    may_resolve = selectors.may_resolve(actor, item, shown_item)
    # The submit button is "record_outcome"; a bare "outcome" field counts too, so that a
    # post from anyone who may not resolve is refused rather than ignored.
    recording = "record_outcome" in request.POST or "outcome" in request.POST
    outcome_form = forms.OutcomeForm(request.POST if recording else None)
    if request.method == "POST":
        try:
            if "acknowledge" in request.POST:
                actions.acknowledge_alert(actor=actor, alert=item)
                messages.success(request, "Acknowledged. The team can see you have it.")
                return redirect("care:alert", alert_id=item.public_id)
            if recording and not may_resolve:
                raise Forbidden("Only a clinician who can see the alert records its outcome.")
            if recording and outcome_form.is_valid():
                actions.record_outcome(actor=actor, alert=item, **outcome_form.cleaned_data)
                messages.success(request, "Outcome recorded.")
                return redirect("care:alert", alert_id=item.public_id)
        except ValidationError as error:
            apply_errors(outcome_form, error)
    # A clinician of the team may open the client's safety plan from here (the plan's own
    # rule); asking that first spares a clinician the second look for any seat.
    clinician = seat(request.user, item.client, CLINICIAN_ROLES) is not None
    on_team = clinician or seat(request.user, item.client) is not None
    # A reader from the paged practice outside the care team is marked, with whether the
    # details showed to them (references only).
    detail = (
        {}
        if on_team
        else {"outside_team": True, "details": shown_item is not None and shown_item.shown}
    )
    record(actor=request.user, action=AuditAction.VIEW, obj=item, client=item.client, detail=detail)
    return render(
        request,
        "care/alert.html",
        {
            "alert": item,
            # A paged clinician outside the team learns whose alert it is only with its details.
            "header_client": item.client if on_team or (shown_item and shown_item.shown) else None,
            "item": shown_item,
            "on_team": on_team,
            "plan_open": clinician,
            "outcome_shown": selectors.outcome_shown(request.user, item),
            "may_ack": item.status == AlertStatus.OPEN
            and item.raised_by_id != request.user.pk
            and selectors.may_acknowledge(request.user, item),
            "events": list(item.events.select_related("actor")),
            "outcome_form": outcome_form,
            "may_resolve": may_resolve and not item.outcome,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def safety_plan(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """Show the client's safety plan (clinicians and the client); clinicians save new versions."""
    client = client_for(request.user, client_id)
    member = seat(request.user, client, CLINICIAN_ROLES)
    if member is None and client.user_id != request.user.pk:
        raise Http404("Not found.")
    view = selectors.safety_plan(request.user, client)
    may_edit = member is not None and (view.decision is None or view.decision.allowed)
    initial: dict[str, Any] = {key: text for key, _, text in view.sections}
    initial["base_version"] = view.plan.version if view.plan else 0
    form = forms.SafetyPlanForm(request.POST or None, initial=initial)
    conflict = ""
    if request.method == "POST":
        if not may_edit:
            raise Http404("Not found.")
        if form.is_valid():
            data = dict(form.cleaned_data)
            base = data.pop("base_version")
            try:
                actions.save_safety_plan(
                    actor=request.user, client=client, sections=data, base_version=base
                )
            except StaleError as error:
                conflict = str(error)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Safety plan saved as a new version.")
                return redirect("care:safety_plan", client_id=client.public_id)
    return render(
        request,
        "care/safety_plan.html",
        {"client": client, "view": view, "form": form if may_edit else None, "conflict": conflict},
    )


@login_required
@require_http_methods(["GET", "POST"])
def rota(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """The practice admin's on-call rota, with gaps in the coming week."""
    organisation = policy.get_or_404(
        request.user, Action.MANAGE, Organisation.objects.all(), public_id=org_id
    )
    prescribers = User.objects.filter(
        memberships__organisation=organisation,
        memberships__role=Role.PRESCRIBER,
        memberships__is_active=True,
    )
    form = forms.ShiftForm(request.POST or None, prescribers=prescribers)
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_shift(actor=request.user, organisation=organisation, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Shift added.")
            return redirect("care:rota", org_id=organisation.public_id)
    now = timezone.now()
    return render(
        request,
        "care/rota.html",
        {
            "organisation": organisation,
            "shifts": OnCallShift.objects.filter(organisation=organisation, ends_at__gt=now)
            .select_related("user")
            .order_by("starts_at", "order"),
            "gaps": selectors.rota_gaps(organisation, now, now + selectors.ROTA_LOOKAHEAD),
            "form": form,
        },
    )
