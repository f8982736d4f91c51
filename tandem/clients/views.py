from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.access import caseload_for, client_for
from tandem.clients.models import CareTeamMember


@login_required
@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    """List the clients on the signed-in clinician's care teams."""
    clients = list(caseload_for(request.user).order_by("last_name", "first_name"))
    if clients:
        record(
            actor=request.user,
            action=AuditAction.VIEW,
            object_type="clients.client",
            detail={"list": "caseload", "clients": [str(c.public_id) for c in clients]},
        )
    return render(request, "clients/client_list.html", {"clients": clients})


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
