from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.crisis.selectors import AlertRow, open_alert_rows
from tandem.clients.access import caseload_for, own_record
from tandem.core import policy
from tandem.core.roles import Role
from tandem.workspace import queues
from tandem.workspace.context_processors import open_alerts_banner, settled


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    return render(request, "workspace/home.html")


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open on what each role must do now: one work queue per task, each item a link to it.

    A fixed number of queries whatever the size of the database: each queue reads its
    first few items and counts the rest (``tandem.workspace.queues``).
    """
    user = request.user
    held = policy.roles(user)
    memberships = policy.active_memberships(user)
    clinical = policy.may_see_clinical_data(user)
    # The card shows how many, not who: one COUNT, not a sorted page of the caseload
    # (which said "50" for 835 clients). The list itself is the clients page's, paged.
    caseload = (
        caseload_for(user).values("pk")  # DISTINCT of ids, not rows
        if clinical and held & {Role.THERAPIST, Role.PRESCRIBER, Role.COORDINATOR}
        else None
    )
    caseload_count = 0
    work: list[tuple[str, list[queues.Queue]]] = []
    if clinical and Role.COORDINATOR in held:
        work.append(("coordinator", queues.coordinator_queues(user)))
    alert_rows: list[AlertRow] | None = None
    if clinical and Role.PRESCRIBER in held:
        # The alerts queue and the page's banner list the same open alerts: read them
        # once (each still names the clients, and records that read, itself).
        alert_rows = open_alert_rows(user, settled=settled(request))
        # The caseload is counted in the statement that reads the small queues.
        prescriber, caseload_count = queues.prescriber_queues(user, alert_rows, caseload=caseload)
        work.append(("prescriber", prescriber))
    elif caseload is not None:
        caseload_count = caseload.count()
    if clinical and Role.THERAPIST in held:
        work.append(("therapist", queues.therapist_queues(user)))
    own = own_record(user) if Role.CLIENT in held else None
    shown = sorted({c for _, qs in work for q in qs for c in q.clients})
    if shown:
        # The queues name clients: a read of clinical data, recorded once per view, like
        # the caseload and the inbox.
        record(
            actor=user,
            action=AuditAction.VIEW,
            object_type="clients.client",
            detail={"list": "home", "clients": shown},
        )
    context = {
        "work": work,
        "client_home": queues.client_home(user, own) if own is not None else None,
        "held": held,
        "memberships": memberships,
        "caseload_count": caseload_count,
        "is_therapist": Role.THERAPIST in held,
        "is_prescriber": Role.PRESCRIBER in held,
        "is_coordinator": Role.COORDINATOR in held,
        "is_practice_admin": Role.PRACTICE_ADMIN in held,
        "is_client": Role.CLIENT in held,
        # The client reaches their own safety plan from here (the page is theirs to read).
        "own_client_id": getattr(own, "public_id", None),
    }
    if alert_rows is not None:
        context["open_alerts"] = open_alerts_banner(user, alert_rows)  # over the processor's
    return render(request, "workspace/dashboard.html", context)
