from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from tandem.accounts import actions
from tandem.accounts.forms import ProfileForm
from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.core import policy


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Let a user keep their name and (clinicians) licence details current."""
    user = request.user
    clinician = getattr(user, "clinician_profile", None)
    initial = {"full_name": user.full_name, "preferred_name": user.preferred_name}
    if clinician is not None:
        initial |= {
            "licence_type": clinician.licence_type,
            "licence_number": clinician.licence_number,
            "licence_states": ", ".join(clinician.licence_states),
        }
    form = ProfileForm(request.POST or None, initial=initial, is_clinician=clinician is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.update_clinician_profile(
            actor=user,
            full_name=data["full_name"],
            preferred_name=data["preferred_name"],
            licence_type=data.get("licence_type"),
            licence_number=data.get("licence_number"),
            licence_states=data.get("licence_states"),
        )
        messages.success(request, "Your details are saved.")
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "has_mfa": policy.has_mfa(user),
            "memberships": policy.active_memberships(user),
        },
    )


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Send the Django admin's sign-in to Tandem's, which asks for the second factor too.

    Replaces ``admin.site.login``: the admin's own form checks only the password and
    would open a full session with it. Nothing posted here is read but ``next``.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    return redirect(reverse("account_login") + "?" + urlencode({"next": target}))
