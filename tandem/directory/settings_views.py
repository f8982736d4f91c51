"""The directory profile section of the practice settings: what the practice states about itself.

Registered with the practice settings page when the app starts; reached, like every
settings page, only by the practice's admins with MFA. The measured figures are shown
beside the form, read-only: the form has no field for them and the action refuses them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_http_methods

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.directory import actions
from tandem.directory.forms import ProfileForm
from tandem.directory.models import PracticeMetrics, PracticeProfile
from tandem.organisations.models import Organisation
from tandem.organisations.settings_sections import Tab, register_section
from tandem.organisations.settings_views import form_page, initial, manage, posted, save_form


def _profile_of(organisation: Organisation) -> PracticeProfile:
    found = PracticeProfile.objects.filter(organisation=organisation).first()
    return found or PracticeProfile(organisation=organisation)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Show and change the practice's directory profile, its measured figures beside it."""
    organisation = manage(request, org_id)
    form = ProfileForm(
        posted(request), initial=initial(_profile_of(organisation), actions.PROFILE_FIELDS)
    )
    done = save_form(
        request,
        form,
        lambda data: actions.update_profile(
            actor=request.user,
            organisation=organisation,
            data={k: v for k, v in data.items() if k in actions.PROFILE_FIELDS},
        ),
        saved="Directory profile saved.",
        then="directory_settings:profile",
        organisation=organisation,
    )
    return done or form_page(
        request,
        "directory/settings/profile.html",
        form,
        {
            "organisation": organisation,
            "figures": PracticeMetrics.objects.filter(organisation=organisation).first(),
        },
    )


def _card(organisation: Organisation) -> dict[str, Any]:
    return {"profile": _profile_of(organisation)}


register_section(
    "Directory profile",
    order=50,
    template="directory/settings/_card.html",
    context=_card,
    tabs=(Tab("Directory profile", "directory_settings:profile", "directory"),),
)
