"""Booking pages: slot choice, hold and payment, the appointment's status, the coordinator's calendar.

Views parse, reach appointments through ``scheduling.access`` (404 for missing
or forbidden), call one action and render. The status page says plainly that
the client is not committed until payment information is on file AND the
appointment is confirmed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.http import AuthenticatedHtmxRequest, AuthenticatedHttpRequest
from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.models import Client
from tandem.core import policy
from tandem.core.htmx import page_or_fragment
from tandem.core.policy import Action, Forbidden
from tandem.organisations.access import public_practice
from tandem.organisations.models import Organisation
from tandem.referrals.access import referral_for
from tandem.scheduling import actions, agenda, forms, invitations, payments, selectors, waitlist
from tandem.scheduling.access import appointment_for
from tandem.scheduling.actions import BookingStateError, SlotUnavailableError
from tandem.scheduling.models import (
    Appointment,
    AppointmentStatus,
    WaitlistEntry,
    WaitlistStatus,
)

S = AppointmentStatus
LAPSED = (
    "Your hold ran out before your payment details were saved. Nothing was charged and your "
    "answers are kept: choose a time again."
)


def _own_client(request: AuthenticatedHttpRequest) -> Client | None:
    return Client.objects.filter(user=request.user).first()


def _prescriber(organisation: Organisation, public_id: Any) -> User | None:
    return next((p for p in agenda.prescribers(organisation) if p.public_id == public_id), None)


def _committed(appointment: Appointment) -> bool:
    return appointment.status == S.CONFIRMED and bool(appointment.payment_reference)


# --- Client: choose a slot -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def book(request: AuthenticatedHttpRequest, practice_id: str) -> HttpResponse:
    """Offer the open first-visit slots within the practice's access target; hold the chosen one."""
    practice = public_practice(practice_id)
    client = _own_client(request)
    if client is None:
        return redirect("intake:start", practice_id=practice.public_id)
    kind = agenda.new_client_type(practice)
    if kind is None:
        raise Http404("Not found.")
    error = ""
    if request.method == "POST":
        form = forms.SlotChoiceForm(request.POST)
        prescriber = (
            _prescriber(practice, form.cleaned_data["prescriber"]) if form.is_valid() else None
        )
        if prescriber is None:
            error = "Choose one of the offered times."
        else:
            try:
                held = actions.hold_slot(
                    actor=request.user,
                    organisation=practice,
                    prescriber=prescriber,
                    appointment_type=kind,
                    starts_at=form.cleaned_data["starts_at"],
                    client=client,
                )
            except SlotUnavailableError as problem:
                error = str(problem)
            else:
                return redirect("scheduling:pay", appointment_id=held.public_id)
    if request.GET.get("lapsed"):
        error = LAPSED
    weeks = agenda.access_target_weeks(practice)
    return render(
        request,
        "scheduling/book.html",
        {
            "practice": practice,
            "kind": kind,
            "weeks": weeks,
            "days": agenda.offered_by_day(practice, kind, weeks=weeks),
            "error": error,
            "zone": practice.zone,
            "action": reverse("scheduling:book", args=[practice.public_id]),
        },
        status=409 if error and request.method == "POST" else 200,
    )


# --- Client: pay, see status, cancel, reschedule, check in, waitlist ----------------------


def _hold_context(appointment: Appointment) -> dict[str, Any]:
    expires = appointment.hold_expires_at
    local = expires.astimezone(appointment.organisation.zone) if expires else None
    # The countdown runs from the seconds left as the server counts them, not from the
    # device's clock: a phone set a few minutes fast must not call a live hold expired.
    left = max(0, int((expires - timezone.now()).total_seconds())) if expires else 0
    return {
        "hold_until": local,
        "hold_until_iso": expires.isoformat() if expires else "",
        "hold_seconds_left": left,
    }


def _view(request: HttpRequest, appointment_id: Any, action: Action = Action.VIEW) -> Appointment:
    appointment = appointment_for(request.user, appointment_id, action)
    record(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=appointment,
        client=appointment.client,
        organisation=appointment.organisation,
    )
    return appointment


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: AuthenticatedHttpRequest, appointment_id: str) -> HttpResponse:
    """Collect payment information for a held slot; a provider error keeps the hold."""
    appointment = _view(request, appointment_id)
    if appointment.status != S.HELD:
        return redirect("scheduling:appointment", appointment_id=appointment.public_id)
    provider = payments.provider()
    data = request.POST if request.method == "POST" else None
    if provider.code == "stripe":
        form: Any = forms.StripePaymentForm(data)
    else:
        form = forms.OfflinePaymentForm(data)
    setup = None
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"] if provider.code == "stripe" else payments.AGREED
        try:
            actions.put_payment_on_file(
                actor=request.user, appointment=appointment, provider=provider, token=token
            )
        except payments.PaymentError as problem:
            form.add_error(None, str(problem))
        except actions.HoldLapsedError:
            return redirect(
                reverse("scheduling:book", args=[appointment.organisation.public_id]) + "?lapsed=1"
            )
        except BookingStateError as problem:
            # Cancelled or declined meanwhile: show the appointment as it stands, and why.
            messages.error(request, str(problem))
            return redirect("scheduling:appointment", appointment_id=appointment.public_id)
        else:
            return redirect("scheduling:appointment", appointment_id=appointment.public_id)
    if provider.code == "stripe":
        try:
            setup = provider.start_setup(appointment_id=str(appointment.public_id))
        except payments.PaymentError as problem:
            form.add_error(None, str(problem))
    return render(
        request,
        "scheduling/pay.html",
        {"appointment": appointment, "form": form, "setup": setup, **_hold_context(appointment)},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET"])
def appointment(request: AuthenticatedHttpRequest, appointment_id: str) -> HttpResponse:
    """Show where the booking stands, and what the client (or the practice) can do next."""
    return _appointment_page(request, _view(request, appointment_id))


def _check_in_initial(found: Appointment) -> dict[str, str]:
    """Prefill the check-in with the client's emergency contact, to confirm or correct."""
    client = found.client
    if client is None:
        return {}
    return {
        "emergency_name": client.emergency_contact_name,
        "emergency_relationship": client.emergency_contact_relationship,
        "emergency_phone": client.emergency_contact_phone,
    }


def _appointment_page(
    request: HttpRequest,
    found: Appointment,
    check_in_form: forms.CheckInForm | None = None,
    status: int = 200,
) -> HttpResponse:
    staff = found.organisation_id in agenda.staff_org_ids(request.user)
    own = found.client is not None and found.client.user_id == request.user.pk
    now = timezone.now()
    offer = (
        WaitlistEntry.objects.filter(offered=found, status=WaitlistStatus.OFFERED).first()
        if own
        else None
    )
    waiting = (
        WaitlistEntry.objects.filter(
            current=found, status__in=[WaitlistStatus.WAITING, WaitlistStatus.OFFERED]
        ).exists()
        if own
        else False
    )
    check_in_open = (
        found.status == S.CONFIRMED
        and found.starts_at - actions.CHECK_IN_OPENS <= now <= found.ends_at
    )
    checked_in = found.attestations.order_by("-attested_at").first()
    if staff and checked_in is not None:
        # Where the client is, and their numbers, are PHI: each read by the practice is recorded.
        record(
            actor=request.user,
            action=AuditAction.VIEW,
            obj=checked_in,
            client=found.client,
            organisation=found.organisation,
            detail={"appointment": str(found.public_id)},
        )
    return render(
        request,
        "scheduling/appointment.html",
        {
            "appointment": found,
            "header_client": found.client,
            "local_start": found.starts_at.astimezone(found.organisation.zone),
            "committed": _committed(found),
            "payment_on_file": bool(found.payment_reference),
            "staff": staff,
            # Every status change, for the practice (one query, whatever the number of rows).
            "history": list(found.history.select_related("actor")) if staff else [],
            "own": own,
            "offer": offer,
            "waiting": waiting,
            "check_in_open": check_in_open,
            "checked_in": checked_in,
            "check_in_form": check_in_form or forms.CheckInForm(initial=_check_in_initial(found)),
            # The client gets the video link once checked in: the prescriber must know
            # where they are, and how to call them back, before the visit starts.
            "video_link": selectors.settings_for(found.organisation).video_link
            if found.status == S.CONFIRMED
            else "",
            "past": found.starts_at <= now,
            **_hold_context(found),
        },
        status=status,
    )


def _back(appointment: Appointment) -> HttpResponse:
    return redirect("scheduling:appointment", appointment_id=appointment.public_id)


@login_required
@require_POST
def cancel(request: AuthenticatedHttpRequest, appointment_id: str) -> HttpResponse:
    found = appointment_for(request.user, appointment_id, Action.CHANGE)
    try:
        actions.cancel(actor=request.user, appointment=found)
    except BookingStateError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, "The appointment is cancelled and the time is free for others.")
    return _back(found)


@login_required
@require_POST
def confirm(request: AuthenticatedHttpRequest, appointment_id: str) -> HttpResponse:
    found = appointment_for(request.user, appointment_id, Action.CHANGE)
    if found.organisation_id not in agenda.staff_org_ids(request.user):
        raise Http404("Not found.")
    try:
        actions.confirm(actor=request.user, appointment=found)
    except (BookingStateError, Forbidden) as problem:
        messages.error(request, str(problem))
    else:
        messages.success(
            request, "Confirmed. The client gets a confirmation email with a calendar invite."
        )
    return _back(found)


@login_required
@require_POST
def decline(request: AuthenticatedHttpRequest, appointment_id: str) -> HttpResponse:
    found = appointment_for(request.user, appointment_id, Action.CHANGE)
    if found.organisation_id not in agenda.staff_org_ids(request.user):
        raise Http404("Not found.")
    try:
        actions.cancel(actor=request.user, appointment=found)
    except BookingStateError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, "Declined. The time is free again.")
    return _back(found)


@login_required
@require_POST
def outcome(request: AuthenticatedHttpRequest, appointment_id: str) -> HttpResponse:
    """Record that a confirmed visit took place or was missed (the practice's staff only)."""
    found = appointment_for(request.user, appointment_id, Action.CHANGE)
    if found.organisation_id not in agenda.staff_org_ids(request.user):
        raise Http404("Not found.")
    form = forms.OutcomeForm(request.POST)
    try:
        if not form.is_valid():
            raise BookingStateError(
                "Outcome: choose whether the visit took place or the client did not come."
            )
        actions.record_outcome(
            actor=request.user, appointment=found, outcome=form.cleaned_data["outcome"]
        )
    except (BookingStateError, Forbidden) as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, "Recorded.")
    return _back(found)


@login_required
@require_http_methods(["GET", "POST"])
def reschedule(request: AuthenticatedHttpRequest, appointment_id: str) -> HttpResponse:
    """Offer other open times and move the appointment (the client within policy, or staff)."""
    found = _view(request, appointment_id, Action.CHANGE)
    error = ""
    if request.method == "POST":
        form = forms.SlotChoiceForm(request.POST)
        prescriber = (
            _prescriber(found.organisation, form.cleaned_data["prescriber"])
            if form.is_valid()
            else None
        )
        if prescriber is None:
            error = "Choose one of the offered times."
        else:
            try:
                actions.move(
                    actor=request.user,
                    appointment=found,
                    starts_at=form.cleaned_data["starts_at"],
                    prescriber=prescriber,
                )
            except (SlotUnavailableError, BookingStateError, Forbidden) as problem:
                error = str(problem)
            else:
                messages.success(request, "Your appointment has moved.")
                return _back(found)
    weeks = max(agenda.access_target_weeks(found.organisation), 8)
    return render(
        request,
        "scheduling/book.html",
        {
            "practice": found.organisation,
            "kind": found.appointment_type,
            "weeks": weeks,
            "days": agenda.offered_by_day(found.organisation, found.appointment_type, weeks=weeks),
            "error": error,
            "zone": found.organisation.zone,
            "moving": found,
            "action": reverse("scheduling:reschedule", args=[found.public_id]),
        },
        status=409 if error else 200,
    )


@login_required
@require_POST
def check_in(request: AuthenticatedHttpRequest, appointment_id: str) -> HttpResponse:
    """Check the client in: address, callback number, emergency contact. Errors name the field."""
    found = appointment_for(request.user, appointment_id, Action.CHANGE)
    form = forms.CheckInForm(request.POST)
    form.is_valid()  # every field is optional here: attest_location checks and names them
    data = form.cleaned_data
    try:
        actions.attest_location(
            actor=request.user,
            appointment=found,
            street=data.get("street", ""),
            city=data.get("city", ""),
            state=data.get("state", ""),
            callback_phone=data.get("callback_phone", ""),
            emergency_contact={
                name: data.get(field, "") for field, name in actions.EMERGENCY_FIELDS.items()
            },
        )
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            for problem in problems:
                form.add_error(field, problem)
        return _appointment_page(request, found, form, status=400)
    except (BookingStateError, Forbidden) as problem:
        messages.error(request, str(problem))
        return _appointment_page(request, found, form, status=400)
    messages.success(request, "You are checked in. Thank you.")
    return _back(found)


@login_required
@require_POST
def join_waitlist(request: AuthenticatedHttpRequest, appointment_id: str) -> HttpResponse:
    """Put the client on the waitlist for an earlier time; only the client may (others: 404)."""
    found = appointment_for(request.user, appointment_id, Action.CHANGE)
    try:
        waitlist.join(actor=request.user, appointment=found)
    except BookingStateError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(
            request,
            "You are on the waitlist. If an earlier time frees up, we hold it for you and let you know.",
        )
    return _back(found)


@login_required
@require_POST
def take_offer(request: AuthenticatedHttpRequest, appointment_id: str) -> HttpResponse:
    """Take the earlier time held from the waitlist; only the client may (others: 404)."""
    found = appointment_for(request.user, appointment_id, Action.CHANGE)
    if found.client is None or found.client.user_id != request.user.pk:
        raise Http404("Not found.")
    entry = WaitlistEntry.objects.filter(offered=found).first()
    if entry is None:
        messages.error(request, "No earlier time is held for you on this appointment.")
        return _back(found)
    try:
        taken = waitlist.accept(actor=request.user, entry=entry)
    except BookingStateError as problem:
        messages.error(request, str(problem))
        return _back(found)
    messages.success(request, "You have the earlier time; your later appointment is released.")
    return _back(taken)


# --- Coordinator: calendar, time off, booking on behalf ----------------------------------


#: The days the calendar opens on; outside them, its neighbours would overflow ``date``.
CALENDAR_FIRST = dt.date(1900, 1, 1)
CALENDAR_LAST = dt.date(2999, 12, 31)


def _staff_practice(request: HttpRequest, org_id: str) -> Organisation:
    org = Organisation.objects.filter(public_id=org_id).first()
    if org is None or org.pk not in agenda.staff_org_ids(request.user):
        raise Http404("Not found.")
    return org


@login_required
@require_http_methods(["GET"])
def my_calendar(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open the calendar from the navigation: the practice's week (a prescriber's own)."""
    org_ids = agenda.staff_org_ids(request.user)
    practice = Organisation.objects.filter(pk__in=org_ids).order_by("name", "pk").first()
    if practice is None:
        raise Http404("Not found.")
    url = reverse("scheduling:calendar", args=[practice.public_id])
    if any(p.pk == request.user.pk for p in agenda.prescribers(practice)):
        url += f"?prescriber={request.user.public_id}"
    return redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def calendar(request: AuthenticatedHtmxRequest, org_id: str) -> HttpResponse:
    """Show the practice's (or one prescriber's) day or week; add time off, flagging clashes."""
    practice = _staff_practice(request, org_id)
    zone = practice.zone
    today = timezone.now().astimezone(zone).date()
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = today
    if not CALENDAR_FIRST <= day <= CALENDAR_LAST:
        day = today  # the previous/next links of a day at the ends of time cannot be built
    view = "day" if request.GET.get("view") == "day" else "week"
    people = agenda.prescribers(practice)
    chosen = next((p for p in people if str(p.public_id) == request.GET.get("prescriber")), None)
    time_off_form = forms.TimeOffForm(request.POST or None, prescribers=people, zone=zone)
    if request.method == "POST" and time_off_form.is_valid():
        clashes = time_off_form.add(actor=request.user, organisation=practice)
        if clashes:
            messages.warning(
                request,
                f"Time off added. It overlaps {len(clashes)} booked appointment(s), flagged below: "
                "they are kept — contact the client to move them.",
            )
        else:
            messages.success(request, "Time off added.")
        return redirect(request.get_full_path())
    if view == "week":
        first = day - dt.timedelta(days=day.weekday())
        last = first + dt.timedelta(days=6)
        step = dt.timedelta(days=7)
    else:
        first = last = day
        step = dt.timedelta(days=1)
    days = agenda.calendar(request.user, practice, first, last, prescriber=chosen)
    grid = agenda.calendar_grid(days, practice, prescribers=people, prescriber=chosen)
    pending = agenda.pending_requests(request.user, practice)
    shown = {
        a.client.public_id
        for a in [*(e.appointment for d in days for e in d.items), *pending]
        if a.client is not None
    }
    if request.method == "GET" and shown:
        # The calendar names clients beside their psychiatric visits: a read of clinical
        # data, recorded once per view with the clients shown, like the caseload.
        record(
            actor=request.user,
            action=AuditAction.VIEW,
            object_type="clients.client",
            organisation=practice,
            detail={
                "list": "calendar",
                "from": first.isoformat(),
                "until": last.isoformat(),
                "clients": sorted(str(c) for c in shown),
            },
        )
    query = f"view={view}" + (f"&prescriber={chosen.public_id}" if chosen else "")
    return render(
        request,
        page_or_fragment(request, "scheduling/calendar.html", "calendar"),
        {
            "practice": practice,
            "days": days,
            "grid": grid,
            "today": today,
            "view": view,
            "first": first,
            "last": last,
            "prev": (first - step).isoformat(),
            "next": (first + step).isoformat(),
            "query": query,
            "prescribers": people,
            "chosen": chosen,
            "pending": pending,
            "time_off_form": time_off_form,
            "flagged": sum(1 for d in days for e in d.items if e.over_time_off),
        },
        status=400 if time_off_form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def book_for_client(request: AuthenticatedHttpRequest, org_id: str) -> HttpResponse:
    """Book a first visit on a client's behalf (by phone): the coordinator picks client and time."""
    practice = _staff_practice(request, org_id)
    kind = agenda.new_client_type(practice)
    clients = list(policy.scope(request.user, Action.VIEW, Client.objects.all())[:500])
    if request.method == "GET" and clients:
        # The picker lists client names: a read of clinical data, recorded like the caseload.
        record(
            actor=request.user,
            action=AuditAction.VIEW,
            object_type="clients.client",
            organisation=practice,
            detail={"list": "book_for_client", "total": len(clients)},
        )
    error = ""
    if request.method == "POST" and kind is None:
        error = "Set up the practice's appointment types first."
    elif request.method == "POST":
        form = forms.BookForClientForm(request.POST, clients=clients)
        if form.is_valid():
            client = next(c for c in clients if str(c.public_id) == form.cleaned_data["client"])
            prescriber = _prescriber(practice, form.cleaned_data["prescriber"])
            try:
                if prescriber is None:
                    raise SlotUnavailableError("Choose one of the offered times.")
                booked = actions.book_for_client(
                    actor=request.user,
                    organisation=practice,
                    prescriber=prescriber,
                    appointment_type=kind,  # type: ignore[arg-type]
                    starts_at=form.cleaned_data["starts_at"],
                    client=client,
                )
            except (SlotUnavailableError, BookingStateError) as problem:
                error = str(problem)
            else:
                if booked.status == S.CONFIRMED:
                    messages.success(request, "Booked and confirmed.")
                else:
                    messages.success(
                        request,
                        "Booked. A coordinator of the practice confirms it: it is waiting in the "
                        "calendar under Requests to confirm, and the coordinators have been told.",
                    )
                return redirect("scheduling:appointment", appointment_id=booked.public_id)
        else:
            error = "Choose the client, then one of the offered times."
    weeks = agenda.access_target_weeks(practice)
    return render(
        request,
        "scheduling/book_for_client.html",
        {
            "practice": practice,
            "clients": clients,
            "days": agenda.offered_by_day(practice, kind, weeks=weeks) if kind else [],
            "error": error,
            "weeks": weeks,
            "form": forms.BookForClientForm(clients=clients),
            # A refused booking keeps the client chosen, for the next time offered.
            "chosen_client": request.POST.get("client", ""),
        },
        status=409 if error else 200,
    )


def stripe_enabled() -> bool:
    return getattr(settings, "PAYMENT_PROVIDER", "offline") == "stripe"


# --- From an accepted referral to a visit -----------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def referral_booking(request: AuthenticatedHttpRequest, referral_id: str) -> HttpResponse:
    """Offer the two ways from an accepted referral to a real visit: invite, or book for them.

    The receiving practice's staff only; the referral moves to scheduled when the visit
    is confirmed (a coordinator's booking confirms at once), never from free text.
    """
    referral = referral_for(request.user, referral_id)
    if not invitations.may_book_for(request.user, referral):
        raise Http404("Not found.")
    practice = referral.to_organisation
    kind = agenda.new_client_type(practice)
    error = ""
    status = 200
    waiting = referral.status in invitations.WAITING_FOR_A_VISIT
    if request.method == "POST" and not waiting:
        error = "This referral no longer waits for a first visit."
        status = 409
    elif request.method == "POST" and request.POST.get("do") == "invite":
        try:
            _, sent = invitations.invite_to_book(actor=request.user, referral=referral)
        except ValidationError as problem:
            error, status = " ".join(problem.messages), 400
        else:
            messages.success(
                request,
                "Invitation sent: the client is told in the portal and by an email that names "
                "nothing. The referral moves to scheduled when their visit is confirmed."
                if sent
                else "The client was already invited; nothing was sent twice.",
            )
            return redirect("referrals:detail", referral_id=referral.public_id)
    elif request.method == "POST":
        form = forms.SlotChoiceForm(request.POST)
        prescriber = (
            _prescriber(practice, form.cleaned_data["prescriber"]) if form.is_valid() else None
        )
        try:
            if prescriber is None or kind is None:
                raise SlotUnavailableError("Choose one of the offered times.")
            booked = actions.book_for_client(
                actor=request.user,
                organisation=practice,
                prescriber=prescriber,
                appointment_type=kind,
                starts_at=form.cleaned_data["starts_at"],
                client=referral.client,
            )
        except (SlotUnavailableError, BookingStateError) as problem:
            error, status = str(problem), 409
        else:
            messages.success(
                request,
                "Booked and confirmed: the referral is scheduled with this visit."
                if booked.status == S.CONFIRMED
                else "Booked. A coordinator confirms it; the referral is scheduled then.",
            )
            return redirect("scheduling:appointment", appointment_id=booked.public_id)
    weeks = agenda.access_target_weeks(practice)
    return render(
        request,
        "scheduling/referral_booking.html",
        {
            "referral": referral,
            # The page names the client in full (the referral is accepted), so the header does.
            "header_client": referral.client,
            "practice": practice,
            "waiting": waiting,
            "invitation": invitations.BookingInvitation.objects.filter(referral=referral).first(),
            "booked": invitations.booked_visit(referral),
            "has_portal": referral.client.user_id is not None,
            "days": agenda.offered_by_day(practice, kind, weeks=weeks) if kind else [],
            "weeks": weeks,
            "zone": practice.zone,
            "error": error,
            "action": reverse("scheduling:referral_booking", args=[referral.public_id]),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def invited(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the signed-in client the practices that invited them to book a first visit."""
    return render(
        request,
        "scheduling/invited.html",
        {"invitations": invitations.open_invitations(request.user)},
    )
