"""Public practice page, contact form, coordinators' inbox, and the appointment bot.

The bot is one page: the thread of answered questions (a list, each with an
Edit link) and the current question. Every answer is a plain form POST, so it
works without JavaScript; with HTMX the thread region is swapped in place.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core import policy, ratelimit
from tandem.core.htmx import HtmxHttpRequest, page_or_fragment
from tandem.core.policy import Action
from tandem.directory import search
from tandem.directory import selectors as directory
from tandem.intake import actions, bot
from tandem.intake.access import (
    current_session,
    inbox_org_ids,
    session_key_name,
)
from tandem.intake.forms import AccountForm, ContactForm, EmailLinkForm
from tandem.intake.models import ContactMessage, IntakeSession, Invitation
from tandem.organisations.access import public_practice
from tandem.organisations.models import Organisation
from tandem.referrals.models import Payer, PracticePolicy

COMMITMENT = (
    "You are NOT financially committed to anything until you enter your payment information "
    "AND your appointment is confirmed."
)


def _policy(organisation: Organisation) -> PracticePolicy:
    found = (
        PracticePolicy.objects.filter(organisation=organisation)
        .select_related("organisation")
        .first()
    )
    return found or PracticePolicy(organisation=organisation)


@require_http_methods(["GET", "POST"])
def practice_page(request: HttpRequest, practice_id: str) -> HttpResponse:
    """Show what the practice publishes, the way to request an appointment, and the contact form."""
    practice = public_practice(practice_id)
    rules = _policy(practice)
    form = ContactForm(request.POST or None)
    sent = False
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["website"]:
            sent = True  # a bot filled the hidden field: pretend all is well, keep nothing
        else:
            try:
                actions.send_contact_message(
                    organisation=practice,
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    phone=form.cleaned_data["phone"],
                    question=form.cleaned_data["question"],
                    count_attempt=partial(ratelimit.consume, request, action="contact_form"),
                    submission_key=form.cleaned_data["submission"],
                )
                sent = True
            except actions.RateLimitedError as error:
                form.add_error(None, str(error))
        if sent:
            messages.success(
                request, "Thank you. Your message was sent; a confirmation is on its way by email."
            )
            return redirect(reverse("intake:practice", args=[practice.public_id]) + "#contact")
    return render(
        request,
        "intake/practice.html",
        {
            "practice": practice,
            "rules": rules,
            "payers": [Payer(p).label for p in rules.payers if p in Payer.values],
            "form": form,
            "commitment": COMMITMENT,
            "directory": directory.public_profile(practice, now=timezone.now()),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the contact messages of the practices the coordinator works for."""
    org_ids = inbox_org_ids(request.user)
    if not org_ids:
        raise Http404("Not found.")
    scoped = policy.scope(request.user, Action.VIEW, ContactMessage.objects.all())
    if request.method == "POST":
        message = (
            policy.scope(request.user, Action.CHANGE, ContactMessage.objects.all())
            .filter(public_id=request.POST.get("message", ""))
            .first()
            if _is_uuid(request.POST.get("message", ""))
            else None
        )
        if message is None:
            raise Http404("Not found.")
        actions.mark_handled(actor=request.user, message=message)
        messages.success(request, "Marked as answered.")
        return redirect("intake:inbox")
    shown = list(scoped.select_related("organisation")[:200])
    if shown:
        # Messages may hold PHI despite the warning: reading the inbox is recorded, per practice.
        for org_id in sorted({m.organisation_id for m in shown}):
            here = [m for m in shown if m.organisation_id == org_id]
            record(
                actor=request.user,
                action=AuditAction.VIEW,
                object_type="intake.contactmessage",
                organisation=here[0].organisation,
                detail={"list": "contact_inbox", "messages": [str(m.public_id) for m in here]},
            )
    return render(request, "intake/inbox.html", {"messages_list": shown})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- The appointment bot --------------------------------------------------------------

TOO_MANY_STARTS = (
    "Too many appointment requests from your network were started in the last hour. "
    "Please try again in an hour, or call the practice."
)
TOO_MANY_LINKS = (
    "We already sent you a link several times in the last hour. Please look for it (check "
    "your spam folder), or try again in an hour."
)


def _too_many(
    request: HttpRequest, practice: Organisation, message: str, *, crisis: bool = False
) -> HttpResponse:
    """Refuse plainly with 429: what happened and what to do, crisis resources at hand."""
    return render(
        request,
        "intake/too_many.html",
        {"practice": practice, "message": message, "crisis": crisis},
        status=429,
    )


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, practice_id: str) -> HttpResponse:
    """Explain the bot and open (or resume) an intake; a GET never creates anything."""
    practice = public_practice(practice_id)
    existing = current_session(request, practice)
    if request.method == "POST":
        if existing is None or request.POST.get("fresh") == "1":
            if not ratelimit.consume(request, action="intake_start"):
                return _too_many(request, practice, TOO_MANY_STARTS)
            session = actions.start_session(
                organisation=practice,
                user=request.user if policy.is_signed_in(request.user) else None,  # type: ignore[arg-type]
            )
            request.session[session_key_name(practice)] = session.key
        return redirect("intake:thread", practice_id=practice.public_id)
    return render(
        request,
        "intake/start.html",
        {"practice": practice, "existing": existing, "commitment": COMMITMENT, "invitation": None},
    )


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Open the bot from a referral's invitation; an unknown or old token shows nothing."""
    found = (
        Invitation.objects.select_related("organisation", "referral__client")
        .filter(token=token, expires_at__gt=timezone.now())
        .first()
    )
    if found is None:
        raise Http404("Not found.")
    practice = found.organisation
    if request.method == "POST":
        if not ratelimit.consume(request, action="intake_start"):
            return _too_many(request, practice, TOO_MANY_STARTS)
        session = actions.start_session(
            organisation=practice,
            user=request.user if policy.is_signed_in(request.user) else None,  # type: ignore[arg-type]
            invitation=found,
        )
        request.session[session_key_name(practice)] = session.key
        return redirect("intake:thread", practice_id=practice.public_id)
    return render(
        request,
        "intake/start.html",
        {"practice": practice, "existing": None, "commitment": COMMITMENT, "invitation": found},
    )


def _thread_context(
    request: HttpRequest,
    session: IntakeSession,
    current: bot.Step | None,
    form: Any,
    verdict: bot.Verdict | None = None,
    pending: dict[str, Any] | None = None,
) -> dict[str, Any]:
    signed_in = policy.is_signed_in(request.user)
    answered = [
        {"step": s, "summary": bot.summary(s, session.answers[s.code])}
        for s in bot.steps_for(signed_in)
        if s.code in session.answers
    ]
    alternatives: list[Any] = []
    if verdict:
        # The refused answer counts too: it is what the client just told us.
        told = {**session.answers, **(pending or {})}
        facts, known = bot.known_facts(told, timezone.localdate())
        now = timezone.now()
        alternatives = [
            org
            for org in search.fitting(directory.candidates(now=now), facts, known, now=now)
            if org.pk != session.organisation.pk
        ]
    previous = bot.previous_step(current.code, signed_in) if current else None
    steps = bot.steps_for(signed_in)
    return {
        "practice": session.organisation,
        "answered": answered,
        "current": current,
        "form": form,
        "verdict": verdict,
        "alternatives": alternatives,
        "previous": previous,
        "crisis": bot.needs_crisis_help(session.answers),
        "email": session.answers.get("contact", {}).get("email", ""),
        "position": (steps.index(current) + 1) if current in steps else len(steps),
        "total": len(steps),
        "commitment": COMMITMENT,
    }


UNKNOWN_STEP_MESSAGE = (
    "The form named a question (step) the bot is not asking you. Nothing was saved: "
    "please answer this question."
)


@require_http_methods(["GET", "POST"])
def thread(request: HtmxHttpRequest, practice_id: str) -> HttpResponse:
    """Ask the next question (or the one being edited) and take the answer."""
    practice = public_practice(practice_id)
    session = current_session(request, practice)
    if session is None:
        if policy.is_signed_in(request.user):
            return redirect("intake:start", practice_id=practice.public_id)
        return redirect(
            reverse("account_login") + "?next=" + reverse("intake:thread", args=[practice_id])
        )
    signed_in = policy.is_signed_in(request.user)
    code = request.POST.get("step") or request.GET.get("edit") or ""
    # A step this visitor is not asked (a tampered or stale form) must not count as "all
    # answered": that would finish the intake with answers missing.
    asked = {step.code: step for step in bot.steps_for(signed_in)}
    unknown_step = bool(code) and code not in asked
    if unknown_step:
        code = ""
    current = asked[code] if code else bot.next_step(session.answers, signed_in)
    if current is None:
        if not signed_in:
            return redirect("intake:thread", practice_id=practice.public_id)
        actions.finish_for_user(session=session, user=request.user)  # type: ignore[arg-type]
        return redirect("scheduling:book", practice_id=practice.public_id)
    template = page_or_fragment(request, "intake/thread.html", "thread")
    if request.method == "GET" or unknown_step:
        initial = session.answers.get(current.code, {})
        form = _form(current, initial=initial, session=session)
        if request.method == "GET":
            return render(request, template, _thread_context(request, session, current, form))
        form.errors[NON_FIELD_ERRORS] = form.error_class(
            [UNKNOWN_STEP_MESSAGE], error_class="nonfield", renderer=form.renderer
        )
        context = _thread_context(request, session, current, form)
        return render(request, template, context, status=400)
    form = _form(current, data=request.POST, session=session)
    verdict = bot.Verdict()
    told: dict[str, Any] = {}
    if form.is_valid():
        if current.code == "account":
            if not ratelimit.consume(request, action="intake_link", key=session.key):
                # Refused in place, on the bot's page (crisis banner included); HTMX swaps
                # only 400/409/422 answers in, so it gets a 400, a plain POST the honest 429.
                form.add_error(None, TOO_MANY_LINKS)
                context = _thread_context(request, session, current, form)
                return render(request, template, context, status=400 if request.htmx else 429)
            actions.send_verification(request, session=session)
            return _go(request, reverse("intake:verify", args=[practice.public_id]))
        verdict = bot.check(
            current, form.cleaned_data, session.answers, _policy(practice), timezone.localdate()
        )
        # Kept before add_error drops the refused fields: the suggestions need them.
        told = {current.code: bot.storable(dict(form.cleaned_data))}
        for field, message in verdict.errors.items():
            form.add_error(field, message)
        if not verdict:
            actions.save_answer(session=session, step=current, data=form.cleaned_data)
            nxt = bot.next_step(session.answers, signed_in)
            if request.htmx and nxt is not None and not (nxt.code == "account" and signed_in):
                context = _thread_context(
                    request, session, nxt, _form(nxt, initial={}, session=session)
                )
                return render(request, template, context)
            return _go(request, reverse("intake:thread", args=[practice.public_id]))
    pending = told if verdict else None
    context = _thread_context(request, session, current, form, verdict, pending)
    # A 400 either way: base.html tells htmx to swap 400/409/422 answers (they carry the errors).
    return render(request, template, context, status=400)


def _go(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """Redirect; an HTMX request is told to load the whole new page instead of swapping it in."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _form(step: bot.Step, *, session: IntakeSession, **kwargs: Any) -> Any:
    if step.code == "account":
        return EmailLinkForm(**kwargs)
    return step.form(**kwargs)


def _sign_in_to_finish(practice: Organisation) -> str:
    return reverse("account_login") + "?next=" + reverse("intake:thread", args=[practice.public_id])


@require_GET
def verify(request: HttpRequest, practice_id: str) -> HttpResponse:
    """Tell the person to open the emailed link; crisis resources stay in view."""
    practice = public_practice(practice_id)
    session = current_session(request, practice)
    return render(
        request,
        "intake/verify.html",
        {
            "practice": practice,
            "hours": actions.LINK_HOURS,
            "crisis": session is not None and bot.needs_crisis_help(session.answers),
            "back": reverse("intake:thread", args=[practice.public_id]),
            "sign_in": _sign_in_to_finish(practice),
        },
    )


@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """Open the account from the emailed link: a GET only shows the form (mail scanners follow
    links), the POST with a password verifies the address and creates the records."""
    session = actions.session_for_link(token)
    if session is None:
        return render(request, "intake/link_expired.html", {}, status=404)
    practice = session.organisation
    email = session.answers.get("contact", {}).get("email", "")
    form = AccountForm(request.POST or None, email=email)
    if request.method == "POST" and form.is_valid():
        try:
            actions.open_account(token=token, password=form.cleaned_data["password1"])
        except actions.LinkError as problem:
            return render(
                request,
                "intake/link_expired.html",
                {"message": str(problem), "sign_in": _sign_in_to_finish(practice)},
                status=404,
            )
        messages.success(
            request,
            "Your email address is confirmed and your account is open. Sign in to choose a time.",
        )
        return redirect(_sign_in_to_finish(practice))
    return render(
        request,
        "intake/confirm.html",
        {"practice": practice, "email": email, "form": form},
        status=400 if form.errors else 200,
    )
