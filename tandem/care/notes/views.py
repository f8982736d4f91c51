"""Pages of consultation notes: write the draft, sign and send, read, acknowledge, add addenda."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.access import team_client_for
from tandem.care.notes import actions, forms, selectors
from tandem.care.notes.access import note_for
from tandem.care.notes.actions import NoteLockedError, StaleError
from tandem.care.notes.models import ConsultNote, DeliveryStatus, NoteStatus
from tandem.care.notes.pdf import note_pdf as render_note_pdf
from tandem.care.pages import apply_errors, tell
from tandem.care.sharing import team, would_hold
from tandem.clients.access import seat
from tandem.consent.categories import Category
from tandem.consent.decision import Party
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role


def _note_initial(note: ConsultNote) -> dict[str, Any]:
    data = {k: getattr(note, k) for k in actions.NOTE_FIELDS}
    data["diagnoses"] = ", ".join(note.diagnoses)
    data["version"] = note.version
    return data


@login_required
@require_http_methods(["GET", "POST"])
def note_new(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """Start the initial consultation note (prescribers on the care team)."""
    # The page names the client, so the door records the read; writing needs the change right.
    client = team_client_for(request.user, client_id)
    if seat(request.user, client, (Role.PRESCRIBER,)) is None or not policy.allows(
        request.user, Action.CHANGE, client
    ):
        raise Http404("Not found.")
    form = forms.NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            note = actions.save_note(actor=request.user, client=client, data=form.data_for_action())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Draft saved.")
            return redirect("care:note_edit", note_id=note.public_id)
    return render(request, "care/note_edit.html", {"client": client, "form": form, "note": None})


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request: AuthenticatedHttpRequest, note_id: str) -> HttpResponse:
    """Edit the draft; a signed note is refused with the offer of an addendum."""
    note = note_for(request.user, note_id, Action.CHANGE)
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
                    actor=request.user,
                    client=note.client,
                    note=note,
                    data=form.data_for_action(),
                    expected_version=form.cleaned_data["version"],
                )
                result = actions.sign_and_send(actor=request.user, note=note)
                tell(request, result, f"Consultation note {note.reference}")
                return redirect("care:note", note_id=note.public_id)
            actions.save_note(
                actor=request.user,
                client=note.client,
                note=note,
                data=form.data_for_action(),
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, "Draft saved.")
            return redirect("care:note_edit", note_id=note.public_id)
        except ValidationError as error:
            apply_errors(form, error)
        except (NoteLockedError, StaleError) as error:
            form.add_error(None, str(error))
    # Before "Sign and send": which therapists the note would be held for, and the release
    # that would let it reach them.
    held = would_hold(
        client=note.client,
        category=Category.CONSULT_NOTES,
        source=Party(note.organisation_id, note.author_id),
        members=team(note.client, (Role.THERAPIST,)),
    )
    return render(
        request,
        "care/note_edit.html",
        {"client": note.client, "form": form, "note": note, "would_hold": held},
    )


@login_required
@require_http_methods(["GET", "POST"])
def note(request: AuthenticatedHttpRequest, note_id: str) -> HttpResponse:
    """Show the note as the viewer may see it; acknowledge, add an addendum, send again."""
    note = note_for(request.user, note_id)
    decision = selectors.note_decision(request.user, note)
    if note.status == NoteStatus.DRAFT and note.author_id != request.user.pk:
        raise Http404("Not found.")
    addendum_form = forms.AddendumForm(request.POST if "addendum" in request.POST else None)
    if request.method == "POST":
        actor = request.user
        try:
            if "acknowledge" in request.POST:
                actions.acknowledge_note(actor=actor, note=note)
                messages.success(request, "Receipt acknowledged.")
            elif "send_again" in request.POST:
                tell(request, actions.send_again(actor=actor, note=note), "The note")
            elif "addendum" in request.POST and addendum_form.is_valid():
                actions.add_addendum(
                    actor=actor, note=note, text=addendum_form.cleaned_data["text"]
                )
                messages.success(request, "Addendum added and shared.")
            else:
                raise Http404("Not found.")
            return redirect("care:note", note_id=note.public_id)
        except ValidationError as error:
            apply_errors(addendum_form, error)
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
def note_pdf(request: AuthenticatedHttpRequest, note_id: str) -> HttpResponse:
    """Download the signed note as a PDF, when the viewer may see it."""
    note = note_for(request.user, note_id)
    decision = selectors.note_decision(request.user, note)
    if note.status != NoteStatus.SIGNED or (decision is not None and not decision.allowed):
        raise Http404("Not found.")
    record(actor=request.user, action=AuditAction.EXPORT, obj=note, client=note.client)
    response = HttpResponse(render_note_pdf(note), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="consult-note-{note.reference}.pdf"'
    return response
