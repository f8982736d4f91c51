"""Pages of the consent engine: prepare, sign, attest, revoke, download, and the accounting.

Views parse, reach the object through ``consent.access`` (or the clients'
door), call one action or selector and render. Downloads are audited as exports.
"""

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.access import actor_role_for, client_for, own_record
from tandem.consent import actions, pdf, selectors
from tandem.consent.access import release_for, signed_release_for
from tandem.consent.actions import PartySpec
from tandem.consent.forms import AttestPaperForm, PrepareReleaseForm, RecordBasisForm, SignForm
from tandem.consent.models import Disclosure, Release, ReleaseStatus
from tandem.consent.states import TransitionError
from tandem.core import policy
from tandem.core.policy import Action


@login_required
@require_GET
def my_releases(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the signed-in client's releases: waiting, active, expired, revoked."""
    client = own_record(request.user)
    if client is None:
        raise Http404("Not found.")
    groups = selectors.releases_by_state(client, for_the_client=True)
    return render(request, "consent/my_releases.html", {"client": client, "groups": groups})


@login_required
@require_http_methods(["GET", "POST"])
def sign(request: AuthenticatedHttpRequest, release_id: str) -> HttpResponse:
    """Show the full text of a release and let the client sign it."""
    release = release_for(request.user, release_id, Action.CHANGE)
    if release.client.user_id != request.user.pk:
        raise Http404("Not found.")
    text = release.signed_text or actions.render_release_text(release)
    if request.method == "GET":
        # The client's own read (left out of their accounting, kept in the practice's trail).
        record(actor=request.user, action=AuditAction.VIEW, obj=release, client=release.client)
    form = SignForm(request.POST or None, text=text)
    if request.method == "POST" and form.is_valid():
        try:
            actions.sign_release(
                actor=request.user,
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
def revoke(request: AuthenticatedHttpRequest, release_id: str) -> HttpResponse:
    """Revoke a signed release at once (the client's second click)."""
    release = release_for(request.user, release_id, Action.CHANGE)
    try:  # a clinician on the team may reach it, but only the client revokes (Forbidden: 404)
        actions.revoke_release(actor=request.user, release=release)
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, selectors.revocation_notice(release))
    return redirect("consent:mine")


@login_required
@require_GET
def client_status(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """Show a clinician, at a glance, which categories flow which way and until when."""
    client = client_for(request.user, client_id)
    if client.user_id == request.user.pk:
        return redirect("consent:mine")
    status = selectors.consent_status(client)
    return render(
        request,
        "consent/client_status.html",
        {
            "client": client,
            "status": status,
            "may_prepare": policy.allows(request.user, Action.CHANGE, client),
        },
    )


def _record_form_opened(request: AuthenticatedHttpRequest, client: Any, page: str) -> None:
    """Audit a clinician opening one of the client's consent forms (it names the client)."""
    record(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=client,
        client=client,
        actor_role=actor_role_for(request.user, client),
        detail={"page": page},
    )


@login_required
@require_http_methods(["GET", "POST"])
def prepare(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """Let the client's therapist or prescriber prepare a release for the client to sign."""
    client = client_for(request.user, client_id, Action.CHANGE)
    organisations, clinicians = selectors.party_options(client)
    form = PrepareReleaseForm(
        request.POST or None,
        organisations=organisations,
        clinicians=clinicians,
        # Opened from a "request a release" link (a referral or a note that would be held):
        # the categories and parties come filled in; the clinician checks them.
        initial=selectors.prefilled_release(request.GET, organisations),
    )
    if request.method == "GET":
        _record_form_opened(request, client, "prepare_release")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        clinician = data["clinician"]
        try:
            actions.prepare_release(
                actor=request.user,
                client=client,
                kind=data["kind"],
                categories=data["categories"],
                disclosers=[PartySpec(data["source"])],
                recipients=[PartySpec(data["recipient"], clinician.user if clinician else None)],
                purpose=data["purpose"],
                purpose_detail=data["purpose_detail"],
                two_way=data["two_way"],
                effective_from=data["effective_from"],
                expires_on=data["expires_on"],
                expiry_event=data["expiry_event"],
            )
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            messages.success(
                request,
                "Release prepared. The client has been asked to read and sign it in Tandem.",
            )
            return redirect("consent:client_status", client_id=client.public_id)
    return render(
        request,
        "consent/prepare.html",
        {"client": client, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def record_basis(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """Let a treating clinician record one treatment disclosure, with its legal basis, after the
    client revoked a release (the treatment exception no longer carries it on its own)."""
    client = client_for(request.user, client_id, Action.CHANGE)
    organisations, _ = selectors.party_options(client)
    own = {m.organisation_id for m in policy.active_memberships(request.user)}
    form = RecordBasisForm(
        request.POST or None, organisations=[o for o in organisations if o.pk not in own]
    )
    if request.method == "GET":
        _record_form_opened(request, client, "record_treatment_disclosure")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_treatment_disclosure(
                actor=request.user,
                client=client,
                recipient_organisation=form.organisations[data["recipient_organisation"]],
                category=data["category"],
                description=data["description"],
                legal_basis=data["legal_basis"],
                note=data["note"],
            )
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            messages.success(
                request,
                "Recorded, with its legal basis. It appears in the client's list of what has "
                "been shared.",
            )
            return redirect("consent:client_status", client_id=client.public_id)
    return render(
        request,
        "consent/record_basis.html",
        {"client": client, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _clinician_release(request: AuthenticatedHttpRequest, release_id: str) -> Release:
    """Return the release if the user is one of the client's clinicians who may change it."""
    release = release_for(request.user, release_id, Action.CHANGE)
    if release.client.user_id == request.user.pk or not policy.allows(
        request.user, Action.CHANGE, release.client
    ):
        raise Http404("Not found.")
    return release


@login_required
@require_http_methods(["GET", "POST"])
def attest(request: AuthenticatedHttpRequest, release_id: str) -> HttpResponse:
    """Let a clinician upload the client's signed paper release and attest to it."""
    release = _clinician_release(request, release_id)
    form = AttestPaperForm(request.POST or None, request.FILES or None)
    if request.method == "GET":
        record(
            actor=request.user,
            action=AuditAction.VIEW,
            obj=release,
            client=release.client,
            detail={"page": "attest_paper_release"},
        )
    if request.method == "POST" and form.is_valid():
        try:
            actions.attest_paper_release(
                actor=request.user,
                release=release,
                upload=form.cleaned_data["file"],
                signed_on=form.cleaned_data["signed_on"],
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            messages.success(request, "The paper release is recorded as signed.")
            return redirect("consent:client_status", client_id=release.client.public_id)
    return render(
        request,
        "consent/attest.html",
        {
            "release": release,
            "client": release.client,
            "form": form,
            "waiting": release.status == ReleaseStatus.DRAFT,
        },
        status=400 if request.method == "POST" else 200,
    )


def _download(data: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # health information: never kept by caches
    return response


@login_required
@require_GET
def release_pdf(request: AuthenticatedHttpRequest, release_id: str) -> HttpResponse:
    """Download a signed release as a PDF (the client's copy; also for their care team)."""
    release = signed_release_for(request.user, release_id)
    data = pdf.release_pdf(release)
    record(
        actor=request.user,
        action=AuditAction.EXPORT,
        obj=release,
        client=release.client,
        detail={"format": "pdf"},
    )
    return _download(data, "application/pdf", f"release-{release.public_id}.pdf")


def _own_accounting(request: AuthenticatedHttpRequest) -> tuple[Any, list[Disclosure]]:
    client = own_record(request.user)
    if client is None:
        raise Http404("Not found.")
    return client, list(selectors.accounting_for(request.user))


@login_required
@require_GET
def disclosures(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the client every disclosure of their information (45 CFR 164.528)."""
    client, rows = _own_accounting(request)
    return render(request, "consent/disclosures.html", {"client": client, "disclosures": rows})


def _export_record(
    request: AuthenticatedHttpRequest, client: Any, rows: list[Disclosure], fmt: str
) -> None:
    record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="consent.disclosure",
        client=client,
        detail={"format": fmt, "disclosures": [str(d.public_id) for d in rows]},
    )


def _cell(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@login_required
@require_GET
def disclosures_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Download the accounting of disclosures as CSV."""
    client, rows = _own_accounting(request)
    _export_record(request, client, rows, "csv")
    response = _download("", "text/csv; charset=utf-8", "disclosures.csv")
    writer = csv.writer(response)
    writer.writerow(
        [
            "Date",
            "Recipient",
            "Recipient organisation",
            "Information",
            "Description",
            "Purpose",
            "Allowed by release",
            "Release signed",
            "Part 2 notice sent",
        ]
    )
    for d in rows:
        writer.writerow(
            [
                _cell(value)
                for value in (
                    timezone.localtime(d.disclosed_at).isoformat(timespec="minutes"),
                    d.recipient_name,
                    d.recipient_organisation.name,
                    d.get_category_display(),
                    d.description,
                    d.get_purpose_display(),
                    str(d.release.public_id)
                    if d.release
                    else (
                        f"none (treatment; legal basis recorded by a clinician: "
                        f"{d.get_legal_basis_display()}. {d.legal_basis_note})"
                        if d.legal_basis
                        else "none (treatment exception)"
                    ),
                    timezone.localdate(d.release.signed_at).isoformat()
                    if d.release and d.release.signed_at
                    else "",
                    "yes" if d.part2_notice else "no",
                )
            ]
        )
    return response


@login_required
@require_GET
def disclosures_pdf(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Download the accounting of disclosures as a PDF."""
    client, rows = _own_accounting(request)
    data = pdf.disclosures_pdf(client, rows)
    _export_record(request, client, rows, "pdf")
    return _download(data, "application/pdf", "disclosures.pdf")


@login_required
@require_GET
def expiring(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List, for practice staff, signed releases naming their organisation that end soon."""
    if not policy.is_staff_member(request.user):
        raise Http404("Not found.")
    rows = selectors.expiring_releases(request.user)
    if rows:
        record(
            actor=request.user,
            action=AuditAction.VIEW,
            object_type="consent.release",
            detail={"list": "expiring", "releases": [str(r.release.public_id) for r in rows]},
        )
    return render(
        request,
        "consent/expiring.html",
        {"rows": rows, "within_days": selectors.EXPIRING_WITHIN_DAYS},
    )
