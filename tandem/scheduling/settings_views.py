"""The booking sections of the practice settings: booking rules, appointment types, hours.

Registered with the practice settings page (``settings_sections``) when the app
starts. Every view reaches the organisation as a manager
(``organisation_for(..., Action.MANAGE)`` or ``policy.get_or_404``), so anyone
else gets the same 404 as for a missing practice.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.core import policy
from tandem.core.policy import Action
from tandem.organisations.models import Organisation
from tandem.organisations.settings_sections import Tab, register_section
from tandem.organisations.settings_views import form_page, initial, manage, posted, save_form
from tandem.scheduling import settings_actions as actions
from tandem.scheduling import settings_forms as sf
from tandem.scheduling.forms import TimeOffForm
from tandem.scheduling.models import AppointmentType, SchedulingSettings, TimeOff, WeeklyHours

#: The time-off form shares a page (and the field name "prescriber") with the hours form.
OFF = "off"


def _scheduling_of(organisation: Organisation) -> SchedulingSettings:
    found = SchedulingSettings.objects.filter(organisation=organisation).first()
    return found or SchedulingSettings(organisation=organisation, reminder_hours=[48, 2])


def _types_of(organisation: Organisation) -> Any:
    return AppointmentType.objects.filter(organisation=organisation).order_by("-is_active", "name")


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
        "scheduling/settings/booking.html",
        {
            "organisation": organisation,
            "form": form
            or sf.SchedulingSettingsForm(
                initial=initial(_scheduling_of(organisation), actions.SCHEDULING_FIELDS)
            ),
            "type_form": type_form or sf.AppointmentTypeForm(),
            "types": _types_of(organisation),
        },
        status=400 if bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def scheduling(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Show and change the booking rules, and list the appointment types."""
    organisation = manage(request, org_id)
    if request.method == "GET":
        return _scheduling_page(request, organisation)
    form = sf.SchedulingSettingsForm(request.POST)
    if form.is_valid():
        actions.update_scheduling_settings(
            actor=request.user, organisation=organisation, data=form.cleaned_data
        )
        messages.success(request, "Booking rules saved.")
        return redirect("scheduling_settings:booking", org_id=organisation.public_id)
    return _scheduling_page(request, organisation, form=form)


@login_required
@require_POST
def add_type(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Add an appointment type."""
    organisation = manage(request, org_id)
    form = sf.AppointmentTypeForm(request.POST)
    done = save_form(
        request,
        form,
        lambda data: actions.add_appointment_type(
            actor=request.user, organisation=organisation, data=data
        ),
        saved="Appointment type added.",
        then="scheduling_settings:booking",
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
def edit_type(request: AuthenticatedHttpRequest, appointment_type_id: str) -> HttpResponse:
    """Show and change one appointment type."""
    kind, organisation = _type_for(request, appointment_type_id)
    form = sf.AppointmentTypeForm(posted(request), initial=initial(kind, actions.TYPE_FIELDS))
    done = save_form(
        request,
        form,
        lambda data: actions.change_appointment_type(
            actor=request.user, appointment_type=kind, data=data
        ),
        saved="Appointment type saved.",
        then="scheduling_settings:booking",
        organisation=organisation,
    )
    return done or form_page(
        request,
        "scheduling/settings/type.html",
        form,
        {"organisation": organisation, "kind": kind},
    )


@login_required
@require_POST
def type_active(request: AuthenticatedHttpRequest, appointment_type_id: str) -> HttpResponse:
    """Stop offering an appointment type, or offer it again."""
    kind, organisation = _type_for(request, appointment_type_id)
    active = request.POST.get("active") == "1"
    actions.set_appointment_type_active(actor=request.user, appointment_type=kind, active=active)
    messages.success(
        request,
        f"{kind.name} is offered again." if active else f"{kind.name} is no longer offered.",
    )
    return redirect("scheduling_settings:booking", org_id=organisation.public_id)


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
        "scheduling/settings/hours.html",
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
def hours(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Show each prescriber's weekly hours and upcoming time off."""
    return _hours_page(request, manage(request, org_id))


@login_required
@require_POST
def add_hours(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Add a block of a prescriber's weekly hours."""
    organisation = manage(request, org_id)
    people = actions.prescribers(organisation)
    form = sf.WeeklyHoursForm(request.POST, prescribers=people)
    done = save_form(
        request,
        form,
        lambda data: actions.add_weekly_hours(
            actor=request.user,
            organisation=organisation,
            prescriber=next(p for p in people if str(p.public_id) == data["prescriber"]),
            weekday=data["weekday"],
            starts=data["starts"],
            ends=data["ends"],
        ),
        saved="Hours added.",
        then="scheduling_settings:hours",
        organisation=organisation,
    )
    return done or _hours_page(request, organisation, hours_form=form)


@login_required
@require_POST
def remove_hours(request: AuthenticatedHttpRequest, hours_id: str) -> HttpResponse:
    """Remove a block of weekly hours (booked appointments in it are kept)."""
    block = WeeklyHours.objects.filter(public_id=hours_id).first()
    if block is None:
        raise Http404("Not found.")
    organisation = policy.get_or_404(
        request.user, Action.MANAGE, Organisation.objects.all(), pk=block.organisation_id
    )
    actions.remove_weekly_hours(actor=request.user, block=block)
    messages.success(
        request, "Hours removed. Appointments already booked in them are kept; move them if needed."
    )
    return redirect("scheduling_settings:hours", org_id=organisation.public_id)


@login_required
@require_POST
def add_time_off(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Add a prescriber's time off; overlapping appointments are kept and flagged."""
    organisation = manage(request, org_id)
    people = actions.prescribers(organisation)
    form = TimeOffForm(request.POST, prescribers=people, zone=organisation.zone, prefix=OFF)
    if not form.is_valid():
        return _hours_page(request, organisation, time_off_form=form)
    clashes = form.add(actor=request.user, organisation=organisation)
    if clashes:
        messages.warning(
            request,
            f"Time off added. It overlaps {len(clashes)} booked appointment(s): they are kept "
            "and flagged on the calendar for a coordinator to move.",
        )
    else:
        messages.success(request, "Time off added.")
    return redirect("scheduling_settings:hours", org_id=organisation.public_id)


def _card(organisation: Organisation) -> dict[str, Any]:
    return {
        "rules": _scheduling_of(organisation),
        "types": _types_of(organisation),
        "block_count": WeeklyHours.objects.filter(organisation=organisation).count(),
    }


register_section(
    "Booking",
    order=20,
    template="scheduling/settings/_card.html",
    context=_card,
    tabs=(
        Tab("Booking", "scheduling_settings:booking", "scheduling"),
        Tab("Hours and time off", "scheduling_settings:hours", "hours"),
    ),
)


@login_required
@require_http_methods(["GET", "POST"])
def hours_week(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Set one prescriber's whole week in a grid; copy one day's hours to the other days.

    The grid shows every block the prescriber has on all seven days; saving never deletes a
    block the grid did not show (``set_week`` refuses instead).
    """
    organisation = manage(request, org_id)
    people = actions.prescribers(organisation)
    wanted = request.POST.get("prescriber") or request.GET.get("prescriber")
    prescriber = next((p for p in people if str(p.public_id) == wanted), None)
    if prescriber is None and people:
        prescriber = people[0]
    form = sf.WeekGridForm()
    if prescriber is not None:
        blocks = list(WeeklyHours.objects.filter(organisation=organisation, prescriber=prescriber))
        form = sf.WeekGridForm(initial=sf.WeekGridForm.initial_from(blocks))
    status = 200
    if request.method == "POST" and prescriber is not None:
        source = request.POST.get("copy_from", "")
        if source.isdigit() and int(source) in dict(sf.WEEKDAYS):
            form = sf.WeekGridForm(sf.WeekGridForm(request.POST).copied(int(source)))
            form.is_valid()
            messages.info(
                request,
                f"{sf.DAY_NAMES[int(source)]}'s hours are copied to the other days. "
                "Check them, then save the week.",
            )
        else:
            form = sf.WeekGridForm(request.POST)
            week = form.blocks() if form.is_valid() else []
            if not form.errors:
                try:
                    actions.set_week(
                        actor=request.user,
                        organisation=organisation,
                        prescriber=prescriber,
                        blocks=week,
                        shown=form.cleaned_data["shown"],
                    )
                except ValidationError as error:
                    for messages_ in error.message_dict.values():
                        for message in messages_:
                            form.add_error(None, message)
                else:
                    messages.success(request, f"Weekly hours of {prescriber.display_name} saved.")
                    return redirect(
                        reverse("scheduling_settings:hours_week", args=[organisation.public_id])
                        + f"?prescriber={prescriber.public_id}"
                    )
            status = 400
    return render(
        request,
        "scheduling/settings/hours_week.html",
        {"organisation": organisation, "people": people, "prescriber": prescriber, "form": form},
        status=status,
    )
