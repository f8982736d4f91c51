"""Pages of collaboration. Views parse, reach objects through ``care.access``, call one action.

Each swappable region is a ``{% partialdef %}``; every HTMX link also has an href.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care import access, actions, crisis, forms, selectors
from tandem.care.actions import NoteLockedError, SendResult, StaleError
from tandem.care.models import (
    AlertStatus,
    CheckInStatus,
    ConsultNote,
    DeliveryStatus,
    NoteStatus,
    OnCallShift,
)
from tandem.care.pdf import note_pdf as render_note_pdf
from tandem.clients.access import client_for
from tandem.core import policy
from tandem.core.htmx import HtmxHttpRequest, page_or_fragment
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.organisations.models import Organisation


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _apply(form: Form, error: ValidationError) -> None:
    """Put an action's errors on the form fields they name (or on the form)."""
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


def _tell(request: HttpRequest, result: SendResult, what: str) -> None:
    if result.delivered:
        names = ", ".join(m.user.display_name for m in result.delivered)
        messages.success(request, f"{what} sent to {names}.")
    for member, why in result.held:
        messages.warning(
            request,
            f"Held for {member.user.display_name} ({member.organisation.name}): {why} "
            "Nothing was shared with them.",
        )


# --- Timeline ----------------------------------------------------------------------------


@login_required
@require_GET
def timeline(request: HtmxHttpRequest, client_id: str) -> HttpResponse:
    """Show the client's shared timeline, filtered by kind."""
    client = access.team_client_for(request.user, client_id)
    kind = request.GET.get("kind", "")
    kinds = [kind] if kind in selectors.Kind.values else None
    items = selectors.timeline(request.user, client, kinds)
    member = access.seat(request.user, client)
    return render(
        request,
        page_or_fragment(request, "care/timeline.html", "items"),
        {
            "client": client,
            "items": items,
            "kinds": selectors.Kind.choices,
            "kind": kind if kinds else "",
            "role": member.role if member else "",
        },
    )


# --- Consultation notes ------------------------------------------------------------------


def _note_initial(note: ConsultNote) -> dict[str, Any]:
    data = {k: getattr(note, k) for k in actions.NOTE_FIELDS}
    data["diagnoses"] = ", ".join(note.diagnoses)
    data["version"] = note.version
    return data


@login_required
@require_http_methods(["GET", "POST"])
def note_new(request: HttpRequest, client_id: str) -> HttpResponse:
    """Start the initial consultation note (prescribers on the care team)."""
    client = access.team_client_for(request.user, client_id, Action.CHANGE)
    if access.seat(request.user, client, (Role.PRESCRIBER,)) is None:
        raise Http404("Not found.")
    form = forms.NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            note = actions.save_note(
                actor=_actor(request), client=client, data=form.data_for_action()
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, "Draft saved.")
            return redirect("care:note_edit", note_id=note.public_id)
    return render(request, "care/note_edit.html", {"client": client, "form": form, "note": None})


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, note_id: str) -> HttpResponse:
    """Edit the draft; a signed note is refused with the offer of an addendum."""
    note = access.note_for(request.user, note_id, Action.CHANGE)
    if note.author_id != request.user.pk:
        raise Http404("Not found.")
    if note.status == NoteStatus.SIGNED:
        messages.error(
            request, "This note is signed and locked; it cannot be edited. Add an addendum instead."
        )
        return redirect(reverse("care:note", kwargs={"note_id": note.public_id}) + "#addendum")
    form = forms.NoteForm(request.POST or None, initial=_note_initial(note))
    if request.method == "POST" and form.is_valid():
        try:
            if "sign" in request.POST:
                actions.save_note(
                    actor=_actor(request),
                    client=note.client,
                    note=note,
                    data=form.data_for_action(),
                    expected_version=form.cleaned_data["version"],
                )
                result = actions.sign_and_send(actor=_actor(request), note=note)
                _tell(request, result, f"Consultation note {note.reference}")
                return redirect("care:note", note_id=note.public_id)
            actions.save_note(
                actor=_actor(request),
                client=note.client,
                note=note,
                data=form.data_for_action(),
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, "Draft saved.")
            return redirect("care:note_edit", note_id=note.public_id)
        except ValidationError as error:
            _apply(form, error)
        except (NoteLockedError, StaleError) as error:
            form.add_error(None, str(error))
    return render(
        request, "care/note_edit.html", {"client": note.client, "form": form, "note": note}
    )


@login_required
@require_http_methods(["GET", "POST"])
def note(request: HttpRequest, note_id: str) -> HttpResponse:
    """Show the note as the viewer may see it; acknowledge, add an addendum, send again."""
    note = access.note_for(request.user, note_id)
    decision = selectors.note_decision(request.user, note)
    if note.status == NoteStatus.DRAFT and note.author_id != request.user.pk:
        raise Http404("Not found.")
    addendum_form = forms.AddendumForm(request.POST if "addendum" in request.POST else None)
    if request.method == "POST":
        actor = _actor(request)
        try:
            if "acknowledge" in request.POST:
                actions.acknowledge_note(actor=actor, note=note)
                messages.success(request, "Receipt acknowledged.")
            elif "send_again" in request.POST:
                _tell(request, actions.send_again(actor=actor, note=note), "The note")
            elif "addendum" in request.POST and addendum_form.is_valid():
                actions.add_addendum(
                    actor=actor, note=note, text=addendum_form.cleaned_data["text"]
                )
                messages.success(request, "Addendum added and shared.")
            else:
                raise Http404("Not found.")
            return redirect("care:note", note_id=note.public_id)
        except ValidationError as error:
            _apply(addendum_form, error)
        except PermissionError:
            raise Http404("Not found.") from None
    record(actor=request.user, action=AuditAction.VIEW, obj=note, client=note.client)
    deliveries = list(note.deliveries.select_related("recipient", "recipient_organisation"))
    mine = next((d for d in deliveries if d.recipient_id == request.user.pk), None)
    return render(
        request,
        "care/note.html",
        {
            "note": note,
            "client": note.client,
            "decision": decision,
            "shown": decision is None or decision.allowed,
            "diagnoses": selectors.note_diagnoses(note),
            "addenda": list(note.addenda.select_related("author")),
            "deliveries": deliveries if note.author_id == request.user.pk else [],
            "held": any(d.status == DeliveryStatus.HELD for d in deliveries),
            "mine": mine,
            "is_author": note.author_id == request.user.pk,
            "addendum_form": addendum_form,
        },
    )


@login_required
@require_GET
def note_pdf(request: HttpRequest, note_id: str) -> HttpResponse:
    """Download the signed note as a PDF, when the viewer may see it."""
    note = access.note_for(request.user, note_id)
    decision = selectors.note_decision(request.user, note)
    if note.status != NoteStatus.SIGNED or (decision is not None and not decision.allowed):
        raise Http404("Not found.")
    record(actor=request.user, action=AuditAction.EXPORT, obj=note, client=note.client)
    response = HttpResponse(render_note_pdf(note), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="consult-note-{note.reference}.pdf"'
    return response


# --- Medications -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def medications(request: HttpRequest, client_id: str) -> HttpResponse:
    """Show current medications and their history; the prescriber records changes here."""
    client = access.team_client_for(request.user, client_id)
    is_prescriber = access.seat(request.user, client, (Role.PRESCRIBER,)) is not None
    form = forms.MedicationForm(request.POST or None)
    if request.method == "POST":
        if not is_prescriber:
            raise Http404("Not found.")
        if form.is_valid():
            try:
                _, result = actions.record_medication(
                    actor=_actor(request), client=client, **form.cleaned_data
                )
            except ValidationError as error:
                _apply(form, error)
            else:
                _tell(request, result, "Medication update")
                return redirect("care:medications", client_id=client.public_id)
    view = selectors.medication_list(request.user, client)
    return render(
        request,
        "care/medications.html",
        {"client": client, "view": view, "form": form if is_prescriber else None},
    )


# --- Check-ins ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def checkins(request: HttpRequest, client_id: str) -> HttpResponse:
    """Set the check-in cadence (prescriber) or send an unsolicited update (therapist)."""
    client = access.team_client_for(request.user, client_id)
    role = access.seat(request.user, client)
    role_name = role.role if role else ""
    cadence_form = forms.CadenceForm(request.POST if "cadence" in request.POST else None)
    update_form = forms.CheckInForm(request.POST if "update" in request.POST else None)
    if request.method == "POST":
        actor = _actor(request)
        if "cadence" in request.POST and role_name == Role.PRESCRIBER and cadence_form.is_valid():
            try:
                actions.set_checkin_cadence(actor=actor, client=client, **cadence_form.cleaned_data)
            except ValidationError as error:
                _apply(cadence_form, error)
            else:
                messages.success(request, "Check-in cadence saved.")
                return redirect("care:checkins", client_id=client.public_id)
        elif "update" in request.POST and role_name == Role.THERAPIST and update_form.is_valid():
            try:
                _, result = actions.send_progress_update(
                    actor=actor, client=client, data=update_form.cleaned_data
                )
            except ValidationError as error:
                _apply(update_form, error)
            else:
                _tell(request, result, "Progress update")
                return redirect("care:timeline", client_id=client.public_id)
        elif role_name not in (Role.PRESCRIBER, Role.THERAPIST):
            raise Http404("Not found.")
    cadence = (
        getattr(client, "checkin_cadence", None) if hasattr(client, "checkin_cadence") else None
    )
    return render(
        request,
        "care/checkins.html",
        {
            "client": client,
            "role": role_name,
            "cadence": cadence,
            "cadence_form": cadence_form,
            "update_form": update_form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, checkin_id: str) -> HttpResponse:
    """Answer a requested check-in (the therapist), or read an answered one."""
    item = access.checkin_for(request.user, checkin_id)
    is_therapist = access.seat(request.user, item.client, (Role.THERAPIST,)) is not None
    form = forms.CheckInForm(request.POST or None)
    if request.method == "POST":
        if not is_therapist:
            raise Http404("Not found.")
        if form.is_valid():
            try:
                result = actions.answer_checkin(
                    actor=_actor(request), checkin=item, data=form.cleaned_data
                )
            except ValidationError as error:
                _apply(form, error)
            else:
                _tell(request, result, "Progress update")
                return redirect("care:timeline", client_id=item.client.public_id)
    record(actor=request.user, action=AuditAction.VIEW, obj=item, client=item.client)
    items = selectors.timeline(
        request.user, item.client, [selectors.Kind.CHECKIN], checkin=item.reference
    )
    return render(
        request,
        "care/checkin.html",
        {
            "checkin": item,
            "client": item.client,
            "form": form if is_therapist and item.status == CheckInStatus.REQUESTED else None,
            "item": items[0] if items else None,
        },
    )


# --- Messages ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def threads(request: HttpRequest, client_id: str) -> HttpResponse:
    """List the client's secure threads and start a new one."""
    client = access.team_client_for(request.user, client_id)
    form = forms.MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            thread, result = actions.start_thread(
                actor=_actor(request),
                client=client,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                is_question=form.cleaned_data["is_question"],
                uploads=request.FILES.getlist("attachments"),
            )
        except ValidationError as error:
            _apply(form, error)
        except PermissionError:
            raise Http404("Not found.") from None
        else:
            _tell(request, result, "Message")
            return redirect("care:thread", thread_id=thread.public_id)
    return render(
        request,
        "care/threads.html",
        {
            "client": client,
            "threads": selectors.shown_threads(request.user, client),
            "form": form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def thread(request: HttpRequest, thread_id: str) -> HttpResponse:
    """Show a thread (recording read receipts) and reply."""
    item = access.thread_for(request.user, thread_id)
    form = forms.MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, result = actions.reply(
                actor=_actor(request),
                thread=item,
                body=form.cleaned_data["body"],
                is_question=form.cleaned_data["is_question"],
                uploads=request.FILES.getlist("attachments"),
            )
        except ValidationError as error:
            _apply(form, error)
        except PermissionError:
            raise Http404("Not found.") from None
        else:
            _tell(request, result, "Reply")
            return redirect("care:thread", thread_id=item.public_id)
    shown = selectors.thread_messages(request.user, item)
    actions.mark_read(actor=_actor(request), messages=[s.message for s in shown if s.shown])
    record(actor=request.user, action=AuditAction.VIEW, obj=item, client=item.client)
    return render(
        request,
        "care/thread.html",
        {
            "thread": item,
            "shown_thread": selectors.shown_thread(request.user, item),
            "client": item.client,
            "shown": shown,
            "form": form,
        },
    )


@login_required
@require_GET
def attachment(request: HttpRequest, attachment_id: str) -> HttpResponse:
    """Download an attachment of a message the viewer may see."""
    found = access.attachment_for(request.user, attachment_id)
    shown = selectors.thread_messages(request.user, found.message.thread, account=False)
    if not any(s.shown and s.message.pk == found.message_id for s in shown):
        raise Http404("Not found.")
    record(actor=request.user, action=AuditAction.EXPORT, obj=found, client=found.message.client)
    ext = (found.file.name or "").rsplit(".", 1)[-1]
    with found.file.open("rb") as handle:
        body = handle.read()  # capped at upload, so reading it whole is fine
    response = HttpResponse(body, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="attachment-{found.public_id}.{ext}"'
    return response


# --- Crisis ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def alert_new(request: HttpRequest, client_id: str) -> HttpResponse:
    """Raise a safety alert (either clinician)."""
    client = access.team_client_for(request.user, client_id)
    if access.seat(request.user, client, access.CLINICIAN_ROLES) is None:
        raise Http404("Not found.")
    form = forms.AlertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            alert = crisis.raise_safety_alert(
                _actor(request),
                client,
                form.cleaned_data["level"],
                form.cleaned_data["summary"],
                form.cleaned_data["steps"],
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(
                request, f"Safety alert {alert.reference} sent. It must be acknowledged in time."
            )
            return redirect("care:alert", alert_id=alert.public_id)
    return render(request, "care/alert_new.html", {"client": client, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def alert(request: HttpRequest, alert_id: str) -> HttpResponse:
    """Show the alert; acknowledge it; record the hospitalisation assessment and follow-up."""
    item = access.alert_for(request.user, alert_id)
    actor = _actor(request)
    shown_item = selectors.alert_item(request.user, item)
    may_resolve = crisis.may_resolve(actor, item, shown_item)
    # The submit button is "record_outcome"; a bare "outcome" field counts too, so that a
    # post from anyone who may not resolve is refused rather than ignored.
    recording = "record_outcome" in request.POST or "outcome" in request.POST
    outcome_form = forms.OutcomeForm(request.POST if recording else None)
    if request.method == "POST":
        try:
            if "acknowledge" in request.POST:
                crisis.acknowledge_alert(actor=actor, alert=item)
                messages.success(request, "Acknowledged. The team can see you have it.")
                return redirect("care:alert", alert_id=item.public_id)
            if recording and not may_resolve:
                raise PermissionError("Only a clinician who can see the alert records its outcome.")
            if recording and outcome_form.is_valid():
                crisis.record_outcome(actor=actor, alert=item, **outcome_form.cleaned_data)
                messages.success(request, "Outcome recorded.")
                return redirect("care:alert", alert_id=item.public_id)
        except ValidationError as error:
            _apply(outcome_form, error)
        except PermissionError:
            raise Http404("Not found.") from None
    on_team = access.seat(request.user, item.client) is not None
    # A reader from the paged practice outside the care team is marked, with whether the
    # details showed to them (references only).
    detail = (
        {}
        if on_team
        else {"outside_team": True, "details": shown_item is not None and shown_item.shown}
    )
    record(actor=request.user, action=AuditAction.VIEW, obj=item, client=item.client, detail=detail)
    return render(
        request,
        "care/alert.html",
        {
            "alert": item,
            "item": shown_item,
            "on_team": on_team,
            "outcome_shown": selectors.outcome_shown(request.user, item),
            "may_ack": item.status == AlertStatus.OPEN
            and item.raised_by_id != request.user.pk
            and crisis.may_acknowledge(_actor(request), item),
            "events": list(item.events.select_related("actor")),
            "outcome_form": outcome_form,
            "may_resolve": may_resolve and not item.outcome,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def safety_plan(request: HttpRequest, client_id: str) -> HttpResponse:
    """Show the client's safety plan (clinicians and the client); clinicians save new versions."""
    client = client_for(request.user, client_id)
    member = access.seat(request.user, client, access.CLINICIAN_ROLES)
    if member is None and client.user_id != request.user.pk:
        raise Http404("Not found.")
    view = selectors.safety_plan(request.user, client)
    may_edit = member is not None and (view.decision is None or view.decision.allowed)
    initial: dict[str, Any] = {key: text for key, _, text in view.sections}
    initial["base_version"] = view.plan.version if view.plan else 0
    form = forms.SafetyPlanForm(request.POST or None, initial=initial)
    conflict = ""
    if request.method == "POST":
        if not may_edit:
            raise Http404("Not found.")
        if form.is_valid():
            data = dict(form.cleaned_data)
            base = data.pop("base_version")
            try:
                crisis.save_safety_plan(
                    actor=_actor(request), client=client, sections=data, base_version=base
                )
            except StaleError as error:
                conflict = str(error)
            except ValidationError as error:
                _apply(form, error)
            else:
                messages.success(request, "Safety plan saved as a new version.")
                return redirect("care:safety_plan", client_id=client.public_id)
    return render(
        request,
        "care/safety_plan.html",
        {"client": client, "view": view, "form": form if may_edit else None, "conflict": conflict},
    )


@login_required
@require_http_methods(["GET", "POST"])
def visits(request: HttpRequest, client_id: str) -> HttpResponse:
    """Let the practice's prescriber or coordinator plan the visit cadence and see the follow-up."""
    client = access.team_client_for(request.user, client_id)
    if access.seat(request.user, client, (Role.PRESCRIBER, Role.COORDINATOR)) is None:
        raise Http404("Not found.")
    view = selectors.visit_plan(client)
    initial = (
        {
            "psychiatry_every_weeks": view.plan.psychiatry_every_weeks,
            "therapy_every_weeks": view.plan.therapy_every_weeks,
            "next_psychiatry_due": view.plan.next_psychiatry_due,
        }
        if view.plan
        else {"psychiatry_every_weeks": 12, "therapy_every_weeks": 1}
    )
    form = forms.VisitPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_visit_plan(actor=_actor(request), client=client, **form.cleaned_data)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, "Visit plan saved.")
            return redirect("care:visits", client_id=client.public_id)
    return render(
        request,
        "care/visits.html",
        {"client": client, "view": view, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def rota(request: HttpRequest, org_id: str) -> HttpResponse:
    """The practice admin's on-call rota, with gaps in the coming week."""
    organisation = policy.get_or_404(
        request.user, Action.MANAGE, Organisation.objects.all(), public_id=org_id
    )
    prescribers = User.objects.filter(
        memberships__organisation=organisation,
        memberships__role=Role.PRESCRIBER,
        memberships__is_active=True,
    )
    form = forms.ShiftForm(request.POST or None, prescribers=prescribers)
    if request.method == "POST" and form.is_valid():
        try:
            crisis.add_shift(actor=_actor(request), organisation=organisation, **form.cleaned_data)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, "Shift added.")
            return redirect("care:rota", org_id=organisation.public_id)
    from django.utils import timezone

    now = timezone.now()
    return render(
        request,
        "care/rota.html",
        {
            "organisation": organisation,
            "shifts": OnCallShift.objects.filter(organisation=organisation, ends_at__gt=now)
            .select_related("user")
            .order_by("starts_at", "order"),
            "gaps": crisis.rota_gaps(organisation, now, now + crisis.ROTA_LOOKAHEAD),
            "form": form,
        },
    )
