"""Pages of secure messages: the client's threads, a thread with its replies, attachments."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.access import team_client_for
from tandem.care.messaging import actions, forms, selectors
from tandem.care.messaging.access import attachment_for, thread_for
from tandem.care.pages import apply_errors, tell


@login_required
@require_http_methods(["GET", "POST"])
def threads(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """List the client's secure threads and start a new one."""
    client = team_client_for(request.user, client_id)
    form = forms.MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            thread, result = actions.start_thread(
                actor=request.user,
                client=client,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                is_question=form.cleaned_data["is_question"],
                uploads=request.FILES.getlist("attachments"),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            tell(request, result, "Message")
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
def thread(request: AuthenticatedHttpRequest, thread_id: str) -> HttpResponse:
    """Show a thread (recording read receipts) and reply."""
    item = thread_for(request.user, thread_id)
    form = forms.MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, result = actions.reply(
                actor=request.user,
                thread=item,
                body=form.cleaned_data["body"],
                is_question=form.cleaned_data["is_question"],
                uploads=request.FILES.getlist("attachments"),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            tell(request, result, "Reply")
            return redirect("care:thread", thread_id=item.public_id)
    shown = selectors.thread_messages(request.user, item)
    actions.mark_read(actor=request.user, messages=[s.message for s in shown if s.shown])
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
def attachment(request: AuthenticatedHttpRequest, attachment_id: str) -> HttpResponse:
    """Download an attachment of a message the viewer may see."""
    found = attachment_for(request.user, attachment_id)
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
