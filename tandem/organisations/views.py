from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from tandem.core import policy
from tandem.core.policy import Action
from tandem.organisations import actions
from tandem.organisations.access import membership_for, organisation_for
from tandem.organisations.forms import GrantRoleForm
from tandem.organisations.models import Membership, Organisation


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    orgs = policy.scope(request.user, Action.VIEW, Organisation.objects.all())
    return render(request, "organisations/mine.html", {"organisations": orgs})


def _detail_context(
    request: HttpRequest, organisation: Organisation, form: GrantRoleForm | None = None
) -> dict[str, object]:
    can_manage = policy.allows(request.user, Action.MANAGE, organisation)
    members = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("-is_active", "user__full_name", "role")
    )
    return {
        "organisation": organisation,
        "members": members,
        "can_manage": can_manage,
        "form": form or (GrantRoleForm(organisation=organisation) if can_manage else None),
    }


@login_required
@require_GET
def detail(request: HttpRequest, org_id: str) -> HttpResponse:
    organisation = organisation_for(request.user, org_id)
    return render(request, "organisations/detail.html", _detail_context(request, organisation))


@login_required
@require_POST
def grant(request: HttpRequest, org_id: str) -> HttpResponse:
    organisation = organisation_for(request.user, org_id, Action.MANAGE)
    form = GrantRoleForm(request.POST, organisation=organisation)
    if form.is_valid():
        try:
            actions.grant_role(
                actor=request.user,
                organisation=organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Role granted.")
            return redirect("organisations:detail", org_id=organisation.public_id)
    return render(
        request,
        "organisations/detail.html",
        _detail_context(request, organisation, form),
        status=400,
    )


@login_required
@require_POST
def revoke(request: HttpRequest, membership_id: str) -> HttpResponse:
    membership = membership_for(request.user, membership_id, Action.MANAGE)
    try:
        actions.revoke_role(actor=request.user, membership=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Role revoked.")
    return redirect("organisations:detail", org_id=membership.organisation.public_id)
