from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.clients.access import client_for
from tandem.consent import actions, selectors
from tandem.consent.access import own_client_record, release_for
from tandem.consent.forms import SignForm
from tandem.consent.states import TransitionError
from tandem.core.policy import Action


@login_required
@require_GET
def my_releases(request: HttpRequest) -> HttpResponse:
    """List the signed-in client's releases: waiting, active, expired, revoked."""
    client = own_client_record(request.user)
    if client is None:
        raise Http404("Not found.")
    groups = selectors.releases_by_state(client)
    return render(request, "consent/my_releases.html", {"client": client, "groups": groups})


@login_required
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, release_id: str) -> HttpResponse:
    """Show the full text of a release and let the client sign it."""
    release = release_for(request.user, release_id, Action.CHANGE)
    if release.client.user_id != request.user.pk:
        raise Http404("Not found.")
    text = release.signed_text or actions.render_release_text(release)
    form = SignForm(request.POST or None, text=text)
    if request.method == "POST" and form.is_valid():
        try:
            actions.sign_release(
                actor=request.user,  # type: ignore[arg-type]
                release=release,
                typed_name=form.cleaned_data["typed_name"],
                ip=request.META.get("REMOTE_ADDR"),
                shown_text_sha256=form.cleaned_data["text_sha256"],
                representative_name=form.cleaned_data.get("representative_name", ""),
                representative_authority=form.cleaned_data.get("representative_authority", ""),
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            for field, errs in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(
                request, "Signed. You can download a copy at any time from My releases."
            )
            return redirect("consent:mine")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "consent/sign.html",
        {"release": release, "text": text, "form": form},
        status=status,
    )


@login_required
@require_POST
def revoke(request: HttpRequest, release_id: str) -> HttpResponse:
    """Revoke a signed release at once (the client's second click)."""
    release = release_for(request.user, release_id, Action.CHANGE)
    if release.client.user_id != request.user.pk:
        raise Http404("Not found.")
    try:
        actions.revoke_release(actor=request.user, release=release)  # type: ignore[arg-type]
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            "Revoked. Nothing more will be shared under this release. Your clinicians have been told.",
        )
    return redirect("consent:mine")


@login_required
@require_GET
def client_status(request: HttpRequest, client_id: str) -> HttpResponse:
    """Show a clinician, at a glance, which categories flow which way and until when."""
    client = client_for(request.user, client_id)
    if client.user_id == request.user.pk:
        return redirect("consent:mine")
    summary = selectors.consent_summary(client)
    return render(request, "consent/client_status.html", {"client": client, "summary": summary})
