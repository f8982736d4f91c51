"""The practice settings page: an overview composed from registered sections, and the practice's own.

Every view reaches the organisation through ``organisation_for(..., Action.MANAGE)``,
so anyone else — a coordinator, a prescriber, another practice's admin, an
admin without a second factor — gets the same 404 as for a missing practice.
The sections other apps own (referral policy, booking, hours) live in their
``settings_views`` and use the helpers here; their cards and tabs reach this
page through ``settings_sections.register_section``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.core.policy import Action
from tandem.organisations import settings_actions as actions
from tandem.organisations import settings_forms as sf
from tandem.organisations.access import organisation_for
from tandem.organisations.models import Organisation
from tandem.organisations.settings_sections import Tab, register_section, sections


def manage(request: HttpRequest, org_id: Any) -> Organisation:
    """Return the organisation ``request.user`` manages, or raise the 404 of a missing one."""
    return organisation_for(request.user, org_id, Action.MANAGE)


def copy_errors(form: forms.Form, error: ValidationError) -> None:
    """Put an action's field errors on ``form`` (unknown fields: on the form as a whole)."""
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def initial(instance: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def save_form(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[dict[str, Any]], object],
    *,
    saved: str,
    then: str,
    organisation: Organisation,
) -> HttpResponse | None:
    """Save a posted, valid form through ``save`` and redirect to ``then``.

    Return None when there is nothing to save yet or the action refused the
    data; its errors are then on ``form``, which keeps what the admin typed.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        save(form.cleaned_data)
    except ValidationError as error:
        copy_errors(form, error)
        return None
    messages.success(request, saved)
    return redirect(then, org_id=organisation.public_id)


def form_page(
    request: HttpRequest, template: str, form: forms.Form, context: dict[str, Any]
) -> HttpResponse:
    return render(request, template, {**context, "form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def home(request: HttpRequest, org_id: str) -> HttpResponse:
    """Show a summary of every setting, with a link to change each part."""
    organisation = manage(request, org_id)
    cards = [
        render_to_string(
            section.template,
            {"organisation": organisation, **section.context(organisation)},
            request=request,
        )
        for section in sections()
    ]
    return render(
        request,
        "organisations/settings/home.html",
        {"organisation": organisation, "cards": cards},
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Show and change the treatment exception (disclosures without a release)."""
    organisation = manage(request, org_id)
    form = sf.TreatmentExceptionForm(
        request.POST if request.method == "POST" else None,
        initial={"enabled": organisation.treatment_disclosures_without_release},
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.set_treatment_exception(
                actor=request.user,
                organisation=organisation,
                enabled=form.cleaned_data["enabled"],
                confirmed=form.cleaned_data["confirm"],
            )
        except ValidationError as error:
            copy_errors(form, error)
        else:
            if changed:
                messages.success(
                    request,
                    "Treatment exception turned on."
                    if organisation.treatment_disclosures_without_release
                    else "Treatment exception turned off: every disclosure needs a release.",
                )
            return redirect("organisations:settings_consent", org_id=organisation.public_id)
    return render(
        request,
        "organisations/settings/consent.html",
        {
            "organisation": organisation,
            "form": form,
            "help_text": Organisation._meta.get_field(
                "treatment_disclosures_without_release"
            ).help_text,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def locale(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Show and change the time zone, holiday calendar and telehealth states."""
    organisation = manage(request, org_id)
    form = sf.LocaleForm(posted(request), initial=initial(organisation, actions.LOCALE_FIELDS))
    done = save_form(
        request,
        form,
        lambda data: actions.update_locale(
            actor=request.user, organisation=organisation, data=data
        ),
        saved="Time zone and calendar saved.",
        then="organisations:settings_locale",
        organisation=organisation,
    )
    return done or form_page(
        request, "organisations/settings/locale.html", form, {"organisation": organisation}
    )


register_section(
    "Consent",
    order=30,
    template="organisations/settings/_consent_card.html",
    context=lambda organisation: {},
    tabs=(Tab("Consent", "organisations:settings_consent", "consent"),),
)
register_section(
    "Time zone and holidays",
    order=40,
    template="organisations/settings/_locale_card.html",
    context=lambda organisation: {},
    tabs=(Tab("Time zone and holidays", "organisations:settings_locale", "locale"),),
)
