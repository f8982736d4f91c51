"""Pages of the directory: therapists' search, "my partners", how each figure is computed,
the client's experience check, and the practice profile section of the practice settings.

Views parse, reach objects through the doors (``directory.access``, ``clients.access``,
``organisations.access``), call one selector or action and render.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.access import caseload_for, client_for, own_record
from tandem.core.usstates import US_STATES
from tandem.directory import actions, metrics, search, selectors
from tandem.directory.access import own_visit, require_therapist
from tandem.directory.forms import ExperienceForm, SearchForm
from tandem.referrals import actions as referral_actions
from tandem.referrals.models import Payer, PlanType, Service

#: How many near misses ("would fit but for one thing") the page shows.
NEAR_SHOWN = 5


def _caseload(request: AuthenticatedHttpRequest) -> list[Any]:
    """Return the therapist's clients to refer from a result, recording that the list named them."""
    clients = list(caseload_for(request.user).order_by("last_name", "first_name", "pk")[:200])
    if clients:
        record(
            actor=request.user,
            action=AuditAction.VIEW,
            object_type="clients.client",
            detail={
                "list": "directory_search",
                "clients": sorted(str(c.public_id) for c in clients),
                "total": len(clients),
            },
        )
    return clients


@login_required
@require_GET
def search_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Find psychiatric practices that fit a client, with measured flags and what would not fit."""
    require_therapist(request.user)
    form = SearchForm(request.GET or None)
    outcome = None
    filters = search.Filters()
    if form.is_bound and form.is_valid():
        filters = form.filters()
        now = timezone.now()
        outcome = search.run(selectors.candidates(now=now, slots_for=filters), filters, now=now)
    relax_url = None
    if outcome is not None and outcome.excluded_most is not None:
        relaxed = request.GET.copy()
        name = outcome.excluded_most[0]
        relaxed.pop(name, None)
        if name == "payer":
            relaxed.pop("plan_type", None)
        relax_url = reverse("directory:search") + "?" + relaxed.urlencode()
    return render(
        request,
        "directory/search.html",
        {
            "form": form,
            "outcome": outcome,
            "near": outcome.near[:NEAR_SHOWN] if outcome else [],
            "filters": filters,
            "labels": search.FILTER_LABELS | {"accepting": "Accepting new referrals"},
            "relax_url": relax_url,
            "clients": _caseload(request) if outcome is not None else [],
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def refer(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a referral from a search result in one click, the filters as eligibility answers.

    Runs the referral's own eligibility check (``referrals.actions.start_referral``); when
    the client does not fit, the referral form opens with the answers filled in and says why.
    """
    require_therapist(request.user)
    data = request.POST
    client = client_for(request.user, _uuid(data.get("client", "")))
    practice = selectors.practices().filter(public_id=_uuid(data.get("practice", ""))).first()
    if practice is None:
        raise Http404("Not found.")
    carried = {
        "visit_state": data.get("state", "") if data.get("state", "") in US_STATES else "",
        "payer": data.get("payer", "") if data.get("payer", "") in Payer.values else "",
        "plan_type": data.get("plan_type", "")
        if data.get("plan_type", "") in PlanType.values
        else "",
        "service": data.get("service", "") if data.get("service", "") in Service.values else "",
    }
    form_url = (
        reverse("referrals:start", args=[client.public_id])
        + "?"
        + urlencode(
            {"practice": str(practice.public_id), **{k: v for k, v in carried.items() if v}}
        )
    )
    if not (carried["visit_state"] and carried["payer"] and carried["service"]):
        messages.info(request, "Answer the remaining questions to check eligibility.")
        return redirect(form_url)
    try:
        referral = referral_actions.start_referral(
            actor=request.user,
            client=client,
            to_organisation=practice,
            visit_state=carried["visit_state"],
            payer=carried["payer"],
            plan_type=carried["plan_type"] or PlanType.NONE,
            service=carried["service"],
            idempotency_key=_uuid(data.get("idempotency_key", "")) or uuid.uuid4(),
        )
    except referral_actions.IneligibleError as error:
        for mismatch in error.mismatches:
            messages.error(request, mismatch.message)
        return redirect(form_url)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(form_url)
    messages.success(request, f"Referral to {practice.name} started: complete the packet.")
    return redirect("referrals:edit", referral_id=referral.public_id)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@login_required
@require_GET
def partners(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the practices the therapist has referred to: their own figures beside the practice's."""
    require_therapist(request.user)
    return render(
        request,
        "directory/partners.html",
        {"partners": selectors.partners(request.user, now=timezone.now()), **_thresholds()},
    )


def _thresholds() -> dict[str, Any]:
    return {
        "period_days": metrics.PERIOD_DAYS,
        "min_sample": metrics.MIN_SAMPLE,
        "note_window": metrics.NOTE_WINDOW_DAYS,
    }


@require_GET
def how(request: HttpRequest) -> HttpResponse:
    """Explain how each measured figure and flag is computed (public: the figures are too)."""
    return render(
        request,
        "directory/how.html",
        {
            **_thresholds(),
            "every": metrics.EXPERIENCE_EVERY,
            "seen_within": metrics.SEEN_WITHIN_DAYS,
            "sends_notes": int(metrics.SENDS_NOTES_SHARE * 100),
            "rare_notes": int(metrics.RARE_NOTES_SHARE * 100),
            "slow_messages": metrics.SLOW_MESSAGE_BUSINESS_DAYS,
            "long_wait": metrics.LONG_WAIT_DAYS,
            "rushed": int(metrics.RUSHED_SHARE * 100),
            "responds_within": metrics.RESPONDS_WITHIN_BUSINESS_DAYS,
        },
    )


# --- The client's experience check ----------------------------------------------------------


@login_required
@require_GET
def experience_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the client's visits with an optional experience check waiting."""
    client = own_record(request.user)
    if client is None:
        raise Http404("Not found.")
    return render(
        request,
        "directory/experience_list.html",
        {"due": selectors.experience_checks_due(client)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def experience(request: AuthenticatedHttpRequest, visit_id: str) -> HttpResponse:
    """Ask the client two optional questions about a visit (or let them skip)."""
    visit = own_visit(request.user, visit_id)
    client = own_record(request.user)
    if request.method == "GET" and visit.pk not in {
        d.appointment.pk for d in selectors.experience_checks_due(client)
    }:
        raise Http404("Not found.")  # answered already, or not a visit the client is asked about
    if request.method == "GET":
        # The client's own read of their visit (left out of their accounting, kept in the trail).
        record(
            actor=request.user,
            action=AuditAction.VIEW,
            obj=visit,
            client=client,
            organisation=visit.organisation,
        )
    form = ExperienceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        skip = "skip" in request.POST
        actions.record_experience(
            actor=request.user,
            visit=visit,
            felt_heard=None if skip else form.as_bool(form.cleaned_data["felt_heard"]),
            enough_time=None if skip else form.as_bool(form.cleaned_data["enough_time"]),
        )
        messages.success(
            request,
            "Thank you." if skip else "Thank you. Your answers are counted with others' only.",
        )
        return redirect("directory:experience_list")
    return render(
        request,
        "directory/experience.html",
        {"visit": visit, "form": form},
        status=400 if form.errors else 200,
    )
