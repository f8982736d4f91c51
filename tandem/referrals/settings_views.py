"""The referral policy section of the practice settings: what the practice's intake accepts.

Registered with the practice settings page (``settings_sections``) when the app
starts; reached, like every settings page, only by the practice's admins with MFA.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_http_methods

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.organisations.models import Organisation
from tandem.organisations.settings_sections import Tab, register_section
from tandem.organisations.settings_views import form_page, initial, manage, posted, save_form
from tandem.referrals import settings_actions as actions
from tandem.referrals import settings_forms as sf
from tandem.referrals.models import PracticePolicy


def _policy_of(organisation: Organisation) -> PracticePolicy:
    found = PracticePolicy.objects.filter(organisation=organisation).first()
    return found or PracticePolicy(organisation=organisation)


@login_required
@require_http_methods(["GET", "POST"])
def referral_policy(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Show and change the referral intake policy."""
    organisation = manage(request, org_id)
    form = sf.ReferralPolicyForm(
        posted(request), initial=initial(_policy_of(organisation), actions.POLICY_FIELDS)
    )
    done = save_form(
        request,
        form,
        lambda data: actions.update_referral_policy(
            actor=request.user, organisation=organisation, data=data
        ),
        saved="Referral policy saved.",
        then="referral_settings:policy",
        organisation=organisation,
    )
    return done or form_page(
        request, "referrals/settings/policy.html", form, {"organisation": organisation}
    )


def _card(organisation: Organisation) -> dict[str, Any]:
    return {"policy": _policy_of(organisation)}


register_section(
    "Referral policy",
    order=10,
    template="referrals/settings/_card.html",
    context=_card,
    tabs=(Tab("Referral policy", "referral_settings:policy", "policy"),),
)
