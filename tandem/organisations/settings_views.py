"""The practice settings pages: a practice admin (with MFA) sets what their practice offers.

Every view reaches the organisation through ``organisation_for(..., Action.MANAGE)``,
so anyone else — a coordinator, a prescriber, another practice's admin, an
admin without a second factor — gets the same 404 as for a missing practice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.models import User
from tandem.core import policy
from tandem.core.policy import Action
from tandem.organisations import settings_actions as actions
from tandem.organisations import settings_forms as sf
from tandem.organisations.access import organisation_for
from tandem.organisations.models import Organisation
from tandem.referrals.models import PracticePolicy
from tandem.scheduling.forms import TimeOffForm
from tandem.scheduling.models import AppointmentType, SchedulingSettings, TimeOff, WeeklyHours

#: The time-off form shares a page (and the field name "prescriber") with the hours form.
OFF = "off"


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _manage(request: HttpRequest, org_id: Any) -> Organisation:
    return organisation_for(request.user, org_id, Action.MANAGE)


def _copy_errors(form: forms.Form, error: ValidationError) -> None:
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _policy_of(organisation: Organisation) -> PracticePolicy:
    found = PracticePolicy.objects.filter(organisation=organisation).first()
    return found or PracticePolicy(organisation=organisation)


def _scheduling_of(organisation: Organisation) -> SchedulingSettings:
    found = SchedulingSettings.objects.filter(organisation=organisation).first()
    return found or SchedulingSettings(organisation=organisation, reminder_hours=[48, 2])


def _initial(instance: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _save(
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
        _copy_errors(form, error)
        return None
    messages.success(request, saved)
    return redirect(then, org_id=organisation.public_id)


def _form_page(
    request: HttpRequest, template: str, form: forms.Form, context: dict[str, Any]
) -> HttpResponse:
    return render(request, template, {**context, "form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def home(request: HttpRequest, org_id: str) -> HttpResponse:
    """Show a summary of every setting, with a link to change each part."""
    organisation = _manage(request, org_id)
    return render(
        request,
        "organisations/settings/home.html",
        {
            "organisation": organisation,
            "policy": _policy_of(organisation),
            "rules": _scheduling_of(organisation),
            "types": AppointmentType.objects.filter(organisation=organisation).order_by(
                "-is_active", "name"
            ),
            "block_count": WeeklyHours.objects.filter(organisation=organisation).count(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def referral_policy(request: HttpRequest, org_id: str) -> HttpResponse:
    """Show and change the referral intake policy."""
    organisation = _manage(request, org_id)
    form = sf.ReferralPolicyForm(
        _posted(request), initial=_initial(_policy_of(organisation), actions.POLICY_FIELDS)
    )
    done = _save(
        request,
        form,
        lambda data: actions.update_referral_policy(
            actor=_actor(request), organisation=organisation, data=data
        ),
        saved="Referral policy saved.",
        then="organisations:settings_policy",
        organisation=organisation,
    )
    return done or _form_page(
        request, "organisations/settings/policy.html", form, {"organisation": organisation}
    )


def _scheduling_page(
    request: HttpRequest,
    organisation: Organisation,
    *,
    form: sf.SchedulingSettingsForm | None = None,
    type_form: sf.AppointmentTypeForm | None = None,
) -> HttpResponse:
    bound = (form is not None and form.is_bound) or (type_form is not None and type_form.is_bound)
    return render(
        request,
        "organisations/settings/scheduling.html",
        {
            "organisation": organisation,
            "form": form
            or sf.SchedulingSettingsForm(
                initial=_initial(_scheduling_of(organisation), actions.SCHEDULING_FIELDS)
            ),
            "type_form": type_form or sf.AppointmentTypeForm(),
            "types": AppointmentType.objects.filter(organisation=organisation).order_by(
                "-is_active", "name"
            ),
        },
        status=400 if bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def scheduling(request: HttpRequest, org_id: str) -> HttpResponse:
    """Show and change the booking rules, and list the appointment types."""
    organisation = _manage(request, org_id)
    if request.method == "GET":
        return _scheduling_page(request, organisation)
    form = sf.SchedulingSettingsForm(request.POST)
    if form.is_valid():
        actions.update_scheduling_settings(
            actor=_actor(request), organisation=organisation, data=form.cleaned_data
        )
        messages.success(request, "Booking rules saved.")
        return redirect("organisations:settings_scheduling", org_id=organisation.public_id)
    return _scheduling_page(request, organisation, form=form)


@login_required
@require_POST
def add_type(request: HttpRequest, org_id: str) -> HttpResponse:
    """Add an appointment type."""
    organisation = _manage(request, org_id)
    form = sf.AppointmentTypeForm(request.POST)
    done = _save(
        request,
        form,
        lambda data: actions.add_appointment_type(
            actor=_actor(request), organisation=organisation, data=data
        ),
        saved="Appointment type added.",
        then="organisations:settings_scheduling",
        organisation=organisation,
    )
    return done or _scheduling_page(request, organisation, type_form=form)


def _type_for(request: HttpRequest, type_id: Any) -> tuple[AppointmentType, Organisation]:
    kind = AppointmentType.objects.filter(public_id=type_id).first()
    if kind is None:
        raise Http404("Not found.")
    organisation = policy.get_or_404(
        request.user, Action.MANAGE, Organisation.objects.all(), pk=kind.organisation_id
    )
    return kind, organisation


@login_required
@require_http_methods(["GET", "POST"])
def edit_type(request: HttpRequest, appointment_type_id: str) -> HttpResponse:
    """Show and change one appointment type."""
    kind, organisation = _type_for(request, appointment_type_id)
    form = sf.AppointmentTypeForm(_posted(request), initial=_initial(kind, actions.TYPE_FIELDS))
    done = _save(
        request,
        form,
        lambda data: actions.change_appointment_type(
            actor=_actor(request), appointment_type=kind, data=data
        ),
        saved="Appointment type saved.",
        then="organisations:settings_scheduling",
        organisation=organisation,
    )
    return done or _form_page(
        request,
        "organisations/settings/type.html",
        form,
        {"organisation": organisation, "kind": kind},
    )


@login_required
@require_POST
def type_active(request: HttpRequest, appointment_type_id: str) -> HttpResponse:
    """Stop offering an appointment type, or offer it again."""
    kind, organisation = _type_for(request, appointment_type_id)
    active = request.POST.get("active") == "1"
    actions.set_appointment_type_active(actor=_actor(request), appointment_type=kind, active=active)
    messages.success(
        request,
        f"{kind.name} is offered again." if active else f"{kind.name} is no longer offered.",
    )
    return redirect("organisations:settings_scheduling", org_id=organisation.public_id)


def _hours_page(
    request: HttpRequest,
    organisation: Organisation,
    *,
    hours_form: sf.WeeklyHoursForm | None = None,
    time_off_form: TimeOffForm | None = None,
) -> HttpResponse:
    people = actions.prescribers(organisation)
    blocks = list(
        WeeklyHours.objects.filter(organisation=organisation).order_by("weekday", "starts")
    )
    schedule = [
        {
            "prescriber": person,
            "blocks": [
                {"block": b, "day": sf.DAY_NAMES[b.weekday]}
                for b in blocks
                if b.prescriber_id == person.pk
            ],
        }
        for person in people
    ]
    time_off = TimeOff.objects.filter(
        prescriber__in=people, ends_at__gt=timezone.now()
    ).select_related("prescriber")
    bound = (hours_form is not None) or (time_off_form is not None)
    return render(
        request,
        "organisations/settings/hours.html",
        {
            "organisation": organisation,
            "schedule": schedule,
            "time_off": time_off,
            "hours_form": hours_form or sf.WeeklyHoursForm(prescribers=people),
            "time_off_form": time_off_form
            or TimeOffForm(prescribers=people, zone=organisation.zone, prefix=OFF),
        },
        status=400 if bound else 200,
    )


@login_required
@require_GET
def hours(request: HttpRequest, org_id: str) -> HttpResponse:
    """Show each prescriber's weekly hours and upcoming time off."""
    return _hours_page(request, _manage(request, org_id))


@login_required
@require_POST
def add_hours(request: HttpRequest, org_id: str) -> HttpResponse:
    """Add a block of a prescriber's weekly hours."""
    organisation = _manage(request, org_id)
    people = actions.prescribers(organisation)
    form = sf.WeeklyHoursForm(request.POST, prescribers=people)
    done = _save(
        request,
        form,
        lambda data: actions.add_weekly_hours(
            actor=_actor(request),
            organisation=organisation,
            prescriber=next(p for p in people if str(p.public_id) == data["prescriber"]),
            weekday=data["weekday"],
            starts=data["starts"],
            ends=data["ends"],
        ),
        saved="Hours added.",
        then="organisations:settings_hours",
        organisation=organisation,
    )
    return done or _hours_page(request, organisation, hours_form=form)


@login_required
@require_POST
def remove_hours(request: HttpRequest, hours_id: str) -> HttpResponse:
    """Remove a block of weekly hours (booked appointments in it are kept)."""
    block = WeeklyHours.objects.filter(public_id=hours_id).first()
    if block is None:
        raise Http404("Not found.")
    organisation = policy.get_or_404(
        request.user, Action.MANAGE, Organisation.objects.all(), pk=block.organisation_id
    )
    actions.remove_weekly_hours(actor=_actor(request), block=block)
    messages.success(
        request, "Hours removed. Appointments already booked in them are kept; move them if needed."
    )
    return redirect("organisations:settings_hours", org_id=organisation.public_id)


@login_required
@require_POST
def add_time_off(request: HttpRequest, org_id: str) -> HttpResponse:
    """Add a prescriber's time off; overlapping appointments are kept and flagged."""
    organisation = _manage(request, org_id)
    people = actions.prescribers(organisation)
    form = TimeOffForm(request.POST, prescribers=people, zone=organisation.zone, prefix=OFF)
    if not form.is_valid():
        return _hours_page(request, organisation, time_off_form=form)
    clashes = form.add(actor=_actor(request), organisation=organisation)
    if clashes:
        messages.warning(
            request,
            f"Time off added. It overlaps {len(clashes)} booked appointment(s): they are kept "
            "and flagged on the calendar for a coordinator to move.",
        )
    else:
        messages.success(request, "Time off added.")
    return redirect("organisations:settings_hours", org_id=organisation.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, org_id: str) -> HttpResponse:
    """Show and change the treatment exception (disclosures without a release)."""
    organisation = _manage(request, org_id)
    form = sf.TreatmentExceptionForm(
        request.POST if request.method == "POST" else None,
        initial={"enabled": organisation.treatment_disclosures_without_release},
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.set_treatment_exception(
                actor=_actor(request),
                organisation=organisation,
                enabled=form.cleaned_data["enabled"],
                confirmed=form.cleaned_data["confirm"],
            )
        except ValidationError as error:
            _copy_errors(form, error)
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
def locale(request: HttpRequest, org_id: str) -> HttpResponse:
    """Show and change the time zone, holiday calendar and telehealth states."""
    organisation = _manage(request, org_id)
    form = sf.LocaleForm(_posted(request), initial=_initial(organisation, actions.LOCALE_FIELDS))
    done = _save(
        request,
        form,
        lambda data: actions.update_locale(
            actor=_actor(request), organisation=organisation, data=data
        ),
        saved="Time zone and calendar saved.",
        then="organisations:settings_locale",
        organisation=organisation,
    )
    return done or _form_page(
        request, "organisations/settings/locale.html", form, {"organisation": organisation}
    )
