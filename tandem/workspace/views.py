from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.clients.access import caseload_for, own_record
from tandem.core import policy
from tandem.core.roles import Role


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    return render(request, "workspace/home.html")


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Render the dashboard for each role the user holds; later issues fill the panels."""
    user = request.user
    held = policy.roles(user)
    memberships = policy.active_memberships(user)
    caseload_count = 0
    if policy.may_see_clinical_data(user) and held & {
        Role.THERAPIST,
        Role.PRESCRIBER,
        Role.COORDINATOR,
    }:
        # The card shows how many, not who: one COUNT, not a sorted page of the caseload
        # (which said "50" for 835 clients). The list itself is the clients page's, paged.
        caseload_count = caseload_for(user).count()
    context = {
        "held": held,
        "memberships": memberships,
        "caseload_count": caseload_count,
        "is_therapist": Role.THERAPIST in held,
        "is_prescriber": Role.PRESCRIBER in held,
        "is_coordinator": Role.COORDINATOR in held,
        "is_practice_admin": Role.PRACTICE_ADMIN in held,
        "is_client": Role.CLIENT in held,
        # The client reaches their own safety plan from here (the page is theirs to read).
        "own_client_id": getattr(own_record(user), "public_id", None)
        if Role.CLIENT in held
        else None,
    }
    return render(request, "workspace/dashboard.html", context)
