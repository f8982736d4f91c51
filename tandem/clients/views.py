from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.access import caseload_for, client_for
from tandem.clients.models import CareTeamMember

#: Clients per page of the caseload list.
PAGE_SIZE = 50


@login_required
@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    """List the clients on the signed-in clinician's care teams, a page at a time."""
    clients = caseload_for(request.user).order_by("last_name", "first_name", "pk")
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page)
    if shown:
        # One row per view of the list, naming the clients this page showed (at most a
        # page's worth, however large the caseload) and how many the caseload holds.
        record(
            actor=request.user,
            action=AuditAction.VIEW,
            object_type="clients.client",
            detail={
                "list": "caseload",
                "page": page.number,
                "clients": [str(c.public_id) for c in shown],
                "total": page.paginator.count,
            },
        )
    return render(request, "clients/client_list.html", {"clients": shown, "page": page})


@login_required
@require_GET
def client_detail(request: HttpRequest, client_id: str) -> HttpResponse:
    """Show one client's record and care team to someone the policy lets in."""
    client = client_for(request.user, client_id)
    team = (
        CareTeamMember.objects.filter(client=client, ended_on__isnull=True)
        .select_related("user", "organisation")
        .order_by("role")
    )
    return render(request, "clients/client_detail.html", {"client": client, "team": team})
