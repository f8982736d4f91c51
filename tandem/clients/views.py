from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients import actions
from tandem.clients.access import caseload_for, client_for, own_record
from tandem.clients.forms import EmergencyContactForm
from tandem.clients.models import CareTeamMember

#: Clients per page of the caseload list.
PAGE_SIZE = 50


@login_required
@require_GET
def client_list(request: AuthenticatedHttpRequest) -> HttpResponse:
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
def client_detail(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """Show one client's record and care team to someone the policy lets in."""
    client = client_for(request.user, client_id)
    team = (
        CareTeamMember.objects.filter(client=client, ended_on__isnull=True)
        .select_related("user", "organisation")
        .order_by("role")
    )
    return render(request, "clients/client_detail.html", {"client": client, "team": team})


@login_required
@require_http_methods(["GET", "POST"])
def emergency_contact(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Let the client keep their emergency contact; anyone without a client record gets 404."""
    client = own_record(request.user)
    if client is None:
        raise Http404("Not found.")
    initial = {
        "name": client.emergency_contact_name,
        "relationship": client.emergency_contact_relationship,
        "phone": client.emergency_contact_phone,
    }
    form = EmergencyContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_emergency_contact(actor=request.user, client=client, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field, problem)
        else:
            messages.success(request, "Your emergency contact is saved.")
            return redirect("clients:detail", client_id=client.public_id)
    return render(
        request,
        "clients/emergency_contact.html",
        {"client": client, "form": form},
        status=400 if form.errors else 200,
    )
