from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.organisations import actions
from tandem.organisations.access import (
    invitation_for,
    invitation_for_link,
    membership_for,
    organisation_for,
)
from tandem.organisations.forms import InviteForm
from tandem.organisations.models import Invitation, InvitationStatus, Membership, Organisation

#: The most recent invitations listed on the practice page.
INVITATIONS_SHOWN = 20


@login_required
@require_GET
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    orgs = policy.scope(request.user, Action.VIEW, Organisation.objects.all())
    return render(request, "organisations/mine.html", {"organisations": orgs})


def _detail_context(
    request: AuthenticatedHttpRequest, organisation: Organisation, form: InviteForm | None = None
) -> dict[str, object]:
    can_manage = policy.allows(request.user, Action.MANAGE, organisation)
    members = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("-is_active", "user__full_name", "role")
    )
    invitations = (
        policy.scope(
            request.user, Action.VIEW, Invitation.objects.filter(organisation=organisation)
        )
        .select_related("invited_by")
        .order_by("-created_at")[:INVITATIONS_SHOWN]
        if can_manage
        else []
    )
    now = timezone.now()
    return {
        "organisation": organisation,
        "members": members,
        "can_manage": can_manage,
        "invitations": [
            {"invitation": i, "status": i.shown_status(now), "open": i.is_open(now)}
            for i in invitations
        ],
        "form": form or (InviteForm(organisation=organisation) if can_manage else None),
    }


@login_required
@require_GET
def detail(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    organisation = organisation_for(request.user, org_id)
    return render(request, "organisations/detail.html", _detail_context(request, organisation))


@login_required
@require_POST
def invite(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Invite an email address to a role; say the same whether or not it has an account."""
    organisation = organisation_for(request.user, org_id, Action.MANAGE)
    form = InviteForm(request.POST, organisation=organisation)
    if form.is_valid():
        try:
            invitation = actions.invite(
                actor=request.user,
                organisation=organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("organisations:detail", org_id=organisation.public_id)
    return render(
        request,
        "organisations/detail.html",
        _detail_context(request, organisation, form),
        status=400,
    )


@login_required
@require_POST
def revoke_invitation(request: AuthenticatedHttpRequest, invitation_id: str) -> HttpResponse:
    """Withdraw a pending invitation."""
    invitation = invitation_for(request.user, invitation_id, Action.MANAGE)
    try:
        actions.revoke_invitation(actor=request.user, invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("organisations:detail", org_id=invitation.organisation.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def invitation(request: AuthenticatedHttpRequest, invitation_token: str) -> HttpResponse:
    """Show an emailed invitation to the person it was sent to, and take their answer."""
    try:
        found = invitation_for_link(request.user, invitation_token)
    except Http404:
        # Missing, forged and someone else's look alike: nothing about the practice shows.
        return render(request, "organisations/invitation_not_found.html", status=404)
    error = ""
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        try:
            if decision == "accept":
                actions.accept_invitation(actor=request.user, invitation=found)
            elif decision == "decline":
                actions.decline_invitation(actor=request.user, invitation=found)
            else:
                raise ValidationError("Choose Accept or Decline.")
        except ValidationError as refused:
            found.refresh_from_db()
            accepted_already = (
                decision == "accept"
                and found.status == InvitationStatus.ACCEPTED
                and found.answered_by_id == request.user.pk
            )
            if not accepted_already:  # the second half of a double click succeeded before
                error = " ".join(refused.messages)
        if not error and decision == "accept":
            messages.success(
                request,
                f"You joined {found.organisation.name} as {found.get_role_display().lower()}.",
            )
            return redirect("organisations:detail", org_id=found.organisation.public_id)
        if not error:
            messages.success(request, "You declined the invitation. Nothing has changed.")
            return redirect("core:dashboard")
    now = timezone.now()
    status = InvitationStatus(found.status)
    if status == InvitationStatus.PENDING and not found.is_open(now):
        status = InvitationStatus.EXPIRED
    return render(
        request,
        "organisations/invitation.html",
        {
            "invitation": found,
            "open": found.is_open(now),
            "closed_reason": actions.CLOSED_REASONS.get(status, ""),
            "is_client": Role.CLIENT in policy.roles(request.user),
            "client_refusal": actions.CLIENT_ACCOUNT_REFUSAL,
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def revoke(request: AuthenticatedHttpRequest, membership_id: str) -> HttpResponse:
    membership = membership_for(request.user, membership_id, Action.MANAGE)
    try:
        actions.revoke_role(actor=request.user, membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Role revoked.")
    return redirect("organisations:detail", org_id=membership.organisation.public_id)
