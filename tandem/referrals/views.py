"""Pages of the referral loop: start (eligibility), draft, tracker, inbox, detail and its moves.

Views parse, reach the referral through ``referrals.access``, call one action or
selector and render. Each swappable region is a ``{% partialdef %}``.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Field
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.http import AuthenticatedHtmxRequest, AuthenticatedHttpRequest
from tandem.accounts.models import User, display_name
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.access import client_for
from tandem.core import policy
from tandem.core.cursors import keyset_page
from tandem.core.html import text as escaped
from tandem.core.htmx import page_or_fragment
from tandem.core.links import per_id
from tandem.core.pickers import Option
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.core.templatetags.tandem_ui import badge, since
from tandem.core.textlimits import NOTE
from tandem.core.usstates import US_STATES
from tandem.organisations.models import Membership
from tandem.referrals import actions, forms, icd10, selectors, states, suggestions
from tandem.referrals.access import PRACTICE_ROLES, referral_for, side_of
from tandem.referrals.actions import IneligibleError, StaleReferralError
from tandem.referrals.models import Payer, PlanType, Referral, Service
from tandem.referrals.models import ReferralStatus as S
from tandem.referrals.states import TransitionError
from tandem.referrals.templatetags.referral_clock import clock, overdue_by

PAGE_SIZE = 50


# --- Step 1: eligibility ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def start(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """Check the client against a practice's policy, then open a draft (one per form)."""
    client = client_for(request.user, client_id)
    if Role.THERAPIST not in policy.roles(request.user) or not policy.allows(
        request.user, Action.CHANGE, client
    ):
        raise Http404("Not found.")
    practices = selectors.referral_practices()
    form = forms.StartReferralForm(
        request.POST or None,
        practices=practices,
        initial=_carried_over(request, client, practices),
    )
    fitting = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)  # add_error below drops fields from cleaned_data
        try:
            referral = actions.start_referral(
                actor=request.user,
                client=client,
                to_organisation=data["to_organisation"],
                visit_state=data["visit_state"],
                payer=data["payer"],
                plan_type=data["plan_type"],
                service=data["service"],
                idempotency_key=data["idempotency_key"],
            )
        except IneligibleError as error:
            for mismatch in error.mismatches:
                field = form.MISMATCH_FIELD.get(mismatch.field, mismatch.field)
                form.add_error(field if field in form.fields else None, mismatch.message)
            facts = actions.eligibility_facts(
                client,
                visit_state=data["visit_state"],
                payer=data["payer"],
                plan_type=data["plan_type"],
                service=data["service"],
            )
            fitting = suggestions.suggest(facts, exclude_id=data["to_organisation"].pk)
        except ValidationError as error:
            for field, errs in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            return redirect("referrals:edit", referral_id=referral.public_id)
    return render(
        request,
        "referrals/start.html",
        {"client": client, "form": form, "fitting": fitting},
        status=400 if request.method == "POST" else 200,
    )


def _carried_over(request: HttpRequest, client: Any, practices: Any) -> dict[str, Any]:
    """Return the form's first answers: the client's state, or what the directory search carried.

    The directory's "Start a referral" passes its filters as query values; unknown
    values are dropped (the form then asks for them), never trusted.
    """
    initial: dict[str, Any] = {"visit_state": client.state_of_residence}
    given = request.GET
    if given.get("visit_state", "") in US_STATES:
        initial["visit_state"] = given["visit_state"]
    for name, choices in (("payer", Payer), ("plan_type", PlanType), ("service", Service)):
        if given.get(name, "") in choices.values:
            initial[name] = given[name]
    practice = given.get("practice", "")
    if practice:
        with contextlib.suppress(ValueError):
            initial["to_organisation"] = practices.filter(public_id=uuid.UUID(practice)).first()
    return initial


# --- Step 2: the draft editor ----------------------------------------------------------


def _draft_for(request: HttpRequest, referral_id: str, action: Action) -> Referral:
    referral = referral_for(request.user, referral_id, action)
    if side_of(request.user, referral) != states.THERAPIST:
        raise Http404("Not found.")
    return referral


def _saved_at(referral: Referral) -> str:
    zone = ZoneInfo(referral.from_organisation.time_zone)
    return timezone.localtime(timezone.now(), zone).strftime("%H:%M")


def _editor(
    request: HttpRequest,
    referral: Referral,
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    saved_at: str = "",
    query: str = "",
    attachment_form: forms.AttachmentForm | None = None,
    template: str = "referrals/edit.html",
    stale: str = "",
) -> HttpResponse:
    errors = errors or {}
    medications = [*referral.medications, {"name": "", "dose": "", "kind": "psychiatric"}]
    scores = [*referral.recent_scores, {"instrument": "", "score": "", "date": ""}]
    chosen = [icd10.lookup(c) or icd10.Code(c, "") for c in referral.diagnoses]
    return render(
        request,
        template,
        {
            "referral": referral,
            "client": referral.client,
            "errors": errors,
            "error_items": [
                (forms.FIELD_LABELS.get(k, k), m) for k, ms in errors.items() for m in ms
            ],
            "saved_at": saved_at,
            "stale": stale,
            "reason_choices": forms.REASON_CHOICES,
            "question_choices": forms.QUESTION_CHOICES,
            "kind_choices": forms.MEDICATION_KINDS,
            "text_limit": NOTE,
            "text_limit_words": f"{NOTE:,}",
            "medications": [
                (row, forms.MedicationName(initial={"name": row["name"]}, number=n))
                for n, row in enumerate(medications, start=1)
            ],
            "code_picker": forms.CodesToAdd(),
            "scores": scores,
            "chosen_codes": chosen,
            "query": query,
            "codes_found": icd10.search(query) if query else [],
            "attachments": selectors.attachments(request.user, referral, states.THERAPIST),
            "attachment_form": attachment_form or forms.AttachmentForm(),
            "max_upload_mb": forms.max_upload_mb(),
            "pickable": True,
            # Before "Send": what no release lets the practice see, and the release to ask for.
            "consent_gap": selectors.consent_gap(referral),
            # Before "Send": this practice declined the client lately; why, and where instead.
            "earlier_decline": selectors.earlier_decline(referral),
        },
        status=status,
    )


def _sent_already(request: AuthenticatedHtmxRequest, referral: Referral) -> HttpResponse:
    """The editor of a referral that is no longer a draft: its page (or the "sent" status line)."""
    if request.htmx:
        return render(request, "referrals/edit.html#status", {"sent": True, "referral": referral})
    return redirect("referrals:detail", referral_id=referral.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedHtmxRequest, referral_id: str) -> HttpResponse:
    """Edit the draft packet; every change autosaves (HTMX) and the buttons work without JS."""
    referral = _draft_for(
        request, referral_id, Action.VIEW if request.method == "GET" else Action.CHANGE
    )
    if referral.status != S.DRAFT:
        return _sent_already(request, referral)
    if request.method == "GET":
        return _editor(request, referral)
    # Only autosaves are checked against the version their page saw: a button's save
    # carries the whole form as the therapist sees it, so it always wins.
    base = request.POST.get("base_version", "") if request.htmx else ""
    try:
        errors = actions.save_draft(
            actor=request.user,
            referral=referral,
            data=forms.parse_packet(request.POST),
            base_version=int(base) if base.isdigit() else None,
        )
    except actions.StaleReferralError as stale:
        return _editor(request, referral, stale=str(stale), template="referrals/edit.html#status")
    except TransitionError:
        # A replay of "Send" (double click, retry) sent it while this one waited for the lock.
        return _sent_already(request, referral)
    referral.refresh_from_db()
    saved_at = _saved_at(referral)
    if request.htmx:
        # Autosave: answer with the status line only; a 200 so HTMX swaps the errors in too.
        return _editor(
            request,
            referral,
            errors=errors,
            saved_at=saved_at,
            template="referrals/edit.html#status",
        )
    step = next((k for k in forms.ANCHORS if k in request.POST), request.POST.get("action", "save"))
    if step == "send" and not errors:
        try:
            actions.send_referral(actor=request.user, referral=referral)
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(
                request,
                f"Referral sent to {referral.to_organisation.name}. You can follow it here.",
            )
            return redirect("referrals:detail", referral_id=referral.public_id)
    if errors:
        return _editor(request, referral, errors=errors, saved_at=saved_at, status=400)
    if step == "search":
        return _editor(
            request, referral, saved_at=saved_at, query=request.POST.get("q", "").strip()
        )
    messages.success(request, f"Draft saved at {saved_at}.")
    anchor = forms.ANCHORS.get(step, "")
    return redirect(reverse("referrals:edit", kwargs={"referral_id": referral.public_id}) + anchor)


@login_required
@require_POST
def add_attachment(request: AuthenticatedHttpRequest, referral_id: str) -> HttpResponse:
    """Attach a PDF to the draft under a consent category."""
    referral = _draft_for(request, referral_id, Action.CHANGE)
    form = forms.AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            actions.add_attachment(
                actor=request.user,
                referral=referral,
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
                category=form.cleaned_data["category"],
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            for field, errs in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, "Document attached.")
            return redirect(
                reverse("referrals:edit", kwargs={"referral_id": referral.public_id})
                + "#attachments"
            )
    if referral.status != S.DRAFT:
        messages.error(
            request,
            " ".join(str(e) for e in form.non_field_errors()) or "The document was not attached.",
        )
        return redirect("referrals:detail", referral_id=referral.public_id)
    return _editor(request, referral, attachment_form=form, status=400)


@login_required
@require_GET
def attachment(
    request: AuthenticatedHttpRequest, referral_id: str, document_id: str
) -> HttpResponse:
    """Download an attachment the viewer may see (the practice: only what a release covers)."""
    referral = referral_for(request.user, referral_id)
    side = side_of(request.user, referral)
    found = next(
        (
            v.attachment
            for v in selectors.attachments(request.user, referral, side)
            if v.shown and str(v.attachment.public_id) == str(document_id)
        ),
        None,
    )
    if found is None:
        raise Http404("Not found.")
    record(
        actor=request.user,
        action=AuditAction.EXPORT,
        obj=found,
        client=referral.client,
        organisation=referral.to_organisation,
        actor_role=side,
    )
    with found.file.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{found.public_id}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def icd10_search(request: AuthenticatedHtmxRequest) -> HttpResponse:
    """Search the accepted ICD-10-CM codes by code or words (a fragment for the editor)."""
    if Role.THERAPIST not in policy.roles(request.user) and not (
        policy.roles(request.user) & PRACTICE_ROLES
    ):
        raise Http404("Not found.")
    if "picker_q" in request.GET and request.htmx:
        # The searchable picker of any form that chooses codes (tandem/core/pickers.py).
        query = request.GET["picker_q"].strip()
        found = icd10.search(query) if query else []
        return render(
            request,
            "core/picker_results.html",
            {"query": query, "options": [Option(c.code, c.code, c.description) for c in found]},
        )
    query = request.GET.get("q", "").strip()
    return render(
        request,
        page_or_fragment(request, "referrals/icd10.html", "results"),
        {
            "query": query,
            "codes_found": icd10.search(query) if query else [],
            "pickable": bool(request.htmx),
        },
    )


# --- Lists -----------------------------------------------------------------------------


#: The tracker card's fields (and its keyset's ``created_at`` and ``id``): no packet text.
#: Read as values: a page of cards is 50 rows, not 200 model instances.
TRACKER_CARD = (
    "id",
    "public_id",
    "created_at",
    "status",
    "urgent",
    "sent_at",
    "due_at",  # with responded_at and overdue_level: whether the practice is late to answer
    "responded_at",
    "overdue_level",
    "decline_reason",
    "decline_note",
    "client__public_id",
    "client__first_name",
    "client__last_name",
    "to_organisation__name",
    "redirect_to__name",
)


@login_required
@require_GET
def tracker(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the therapist every referral they made: state, what it waits for, from whom."""
    if Role.THERAPIST not in policy.roles(request.user):
        raise Http404("Not found.")
    # Keyset pages (newest first by creation): a deep page reads what the first does,
    # and no count of all the therapist's referrals is taken.
    page = keyset_page(
        selectors.tracker(request.user).select_related(None).values(*TRACKER_CARD),
        "created_at",
        request.GET.get("at", ""),
        size=PAGE_SIZE,
        purpose="referral_tracker",
    )
    now = timezone.now()
    edit, detail = per_id("referrals:edit"), per_id("referrals:detail")
    statuses, reasons = _labels("status"), _labels("decline_reason")
    cards = []
    for r in page:
        status = r["status"]
        late = selectors.late_answer_from(r["due_at"], r["responded_at"], r["overdue_level"], now)
        waiting = states.WAITING_FOR[status]
        declined = status == S.DECLINED
        title = f"{r['client__first_name']} {r['client__last_name']} → {r['to_organisation__name']}"
        cards.append(
            {
                "public_id": r["public_id"],
                "link": (edit if status == S.DRAFT else detail)(r["public_id"]),
                "title": title,
                "status": badge(status, statuses.get(status, status)),
                "urgent": r["urgent"],
                "late": late and overdue_by(late.by),
                "late_told": late and late.who_was_told,
                "waiting_side": waiting[0],
                "waiting": waiting[1],
                "sent": f"{since(r['sent_at'])} ago" if r["sent_at"] else "Not yet",
                "declined": declined,
                "reason": reasons.get(r["decline_reason"], r["decline_reason"]) if declined else "",
                "note": r["decline_note"] if declined else "",
                # None without a suggested practice (the join finds no row)
                "instead": r["redirect_to__name"] if declined else None,
                "answer": status == S.INFO_REQUESTED,
            }
        )
    _record_list_read(
        request,
        "referral_tracker",
        [r["client__public_id"] for r in page.object_list],
        {"more": bool(page.older)},
    )
    return render(
        request,
        "referrals/tracker.html",
        {"page": page, "cards": cards, "card_items": _tracker_card_items(cards)},
    )


def _tracker_card_items(cards: list[dict[str, Any]]) -> SafeString:
    """Return the tracker's list items for ``cards`` as HTML.

    Written here rather than in ``tracker.html``, as the inbox's (``_inbox_card_items``):
    the template loop took ~1.6 ms of CPU for a page's 50 cards, this ~0.7 ms. The HTML
    is the template loop's, byte for byte (``test_views.py`` renders that loop beside
    it): every text escaped; the status badges are already HTML.
    """
    e = escaped
    urgent_badge, overdue_badge = BADGES["urgent_badge"], BADGES["overdue_badge"]
    out = []
    for card in cards:
        late = card["late"]
        late_told = card["late_told"]
        told = f"; {e(late_told)}" if late_told else "."
        declined = ""
        if card["declined"]:
            note = f" — {e(card['note'])}" if card["note"] else ""
            instead = card["instead"]
            suggested = (
                "" if instead is None else f"<dt>Suggested instead</dt><dd>{e(instead)}</dd>"
            )
            declined = (
                f"\n        <dt>Declined because</dt><dd>{e(card['reason'])}{note}</dd>"
                f"\n        {suggested}\n      "
            )
        link = e(card["link"])
        out.append(
            f'\n  <li class="card referral-card" data-referral="{e(card["public_id"])}">'
            f'\n    <h2 class="referral-title"><a href="{link}">{e(card["title"])}</a></h2>'
            f"\n    <p>{e(card['status'])}"
            f"{f' {urgent_badge}' if card['urgent'] else ''}"
            f"{f' {overdue_badge}' if late else ''}</p>"
            "\n    "
            + (f"<p data-late>The practice\u2019s answer is {e(late)}{told}</p>" if late else "")
            + '\n    <dl class="facts">'
            f'\n      <dt>Waiting for</dt><dd data-waiting="{e(card["waiting_side"])}">'
            f"{e(card['waiting'])}</dd>"
            f"\n      <dt>Sent</dt><dd>{e(card['sent'])}</dd>"
            f"\n      {declined}"
            "\n    </dl>"
            "\n    "
            + (
                f'<p><a class="button button-secondary" href="{link}#answer">'
                "Answer the practice\u2019s question</a></p>"
                if card["answer"]
                else ""
            )
            + "\n  </li>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped, badges are HTML


#: The badges every card may carry beside its status, drawn once.
BADGES = {
    "urgent_badge": badge("urgent", "Urgent"),
    "overdue_badge": badge("overdue", "Overdue"),
}


def _labels(name: str) -> dict[str, str]:
    """Return the labels of a Referral field's choices by value, as ``get_FOO_display`` gives them.

    A list's cards show them as plain text; the dict is built once per page instead of
    each card's ``get_FOO_display`` building it again.
    """
    field = cast("Field[Any, Any]", Referral._meta.get_field(name))  # a column, not a relation
    return {value: str(label) for value, label in field.flatchoices}


def _record_list_read(
    request: HttpRequest, name: str, shown: list[Any], where: dict[str, Any]
) -> None:
    """Record that a list of referrals named these clients (their public ids) to the reader.

    One row per view.
    The inbox refreshes itself every minute (HX-Trigger "inbox-list"); those refreshes
    re-show what the recorded view showed and are not recorded again.
    """
    if not shown or request.headers.get("HX-Trigger") == "inbox-list":
        return
    record(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="clients.client",
        detail={
            "list": name,
            **where,
            "clients": sorted({str(public_id) for public_id in shown}),
        },
    )


#: The inbox card's fields (``_record_list_read`` takes the client's public id), read as
#: values: a page of cards is 50 rows, not 200 model instances.
INBOX_CARD = (
    "public_id",
    "status",
    "urgent",
    "sent_at",
    "due_at",
    "responded_at",
    "client__public_id",
    "client__first_name",
    "therapist__preferred_name",  # ``User.display_name``
    "therapist__full_name",
    "therapist__email",
    "from_organisation__name",
)


class _CountedPaginator(Paginator):
    """A paginator that counts ``counted``: the same rows as its page's query, without its joins.

    A values query that names a related row's fields (the card's client, therapist and
    practice) keeps those joins in its ``COUNT``, and PostgreSQL answers a join to the
    client table by reading all of it (a hash of every client in the network, ~13 ms
    of the inbox's ~18 ms count on the full network). The card's joins are on required
    foreign keys, so every counted referral has its row: the same total.
    """

    def __init__(self, object_list: Any, per_page: int, *, counted: Any) -> None:
        super().__init__(object_list, per_page)
        self.counted = counted

    @cached_property
    def count(self) -> int:
        """Return the number of rows: one ``COUNT`` over ``counted``."""
        return int(self.counted.count())


@login_required
@require_GET
def inbox(request: AuthenticatedHtmxRequest) -> HttpResponse:
    """Show the practice's open referrals: urgent first, then by due time, with time left."""
    if not policy.roles(request.user) & PRACTICE_ROLES:
        raise Http404("Not found.")
    now = timezone.now()
    # Only what the cards show: none of the packet's text, and of the people and practice
    # only their names.
    open_referrals = selectors.inbox(request.user).select_related(None)
    page = _CountedPaginator(
        open_referrals.values(*INBOX_CARD), PAGE_SIZE, counted=open_referrals
    ).get_page(request.GET.get("page"))
    detail = per_id("referrals:detail")
    statuses = _labels("status")
    cards = []
    for r in page:
        left = selectors.time_left_until(r["due_at"], r["responded_at"], now)
        therapist = display_name(
            r["therapist__preferred_name"], r["therapist__full_name"], r["therapist__email"]
        )
        cards.append(
            {
                "public_id": r["public_id"],
                "link": detail(r["public_id"]),
                "first_name": r["client__first_name"],
                "status": badge(r["status"], statuses.get(r["status"], r["status"])),
                "urgent": r["urgent"],
                "clock": None if left is None else clock(left),
                "overdue": left is not None and left.total_seconds() < 0,
                "from": f"{therapist}, {r['from_organisation__name']}",
                "waiting": states.WAITING_FOR[r["status"]][1],
                "sent": since(r["sent_at"]),
            }
        )
    _record_list_read(
        request,
        "referral_inbox",
        [r["client__public_id"] for r in page.object_list],
        {"page": page.number, "total": page.paginator.count},
    )
    return render(
        request,
        page_or_fragment(request, "referrals/inbox.html", "list"),
        {"page": page, "cards": cards, "card_items": _inbox_card_items(cards)},
    )


def _inbox_card_items(cards: list[dict[str, Any]]) -> SafeString:
    """Return the inbox's list items for ``cards`` as HTML.

    Written here rather than in ``inbox.html``: the template loop took ~1.4 ms of CPU for
    a page's 50 cards of twenty-odd nodes each, this ~0.6 ms. The HTML is the template
    loop's, byte for byte (``test_views.py`` renders that loop beside it): every text
    escaped; the status and "Urgent" badges are already HTML.
    """
    e = escaped
    urgent_badge = BADGES["urgent_badge"]
    out = []
    for card in cards:
        urgent = card["urgent"]
        clock = card["clock"]
        shown_clock = (
            ""
            if clock is None
            else f'<span class="clock{" clock-overdue" if card["overdue"] else ""}" '
            f"data-clock>{e(clock)}</span>"
        )
        out.append(
            f'\n  <li class="card referral-card{" referral-urgent" if urgent else ""}"'
            f' data-referral="{e(card["public_id"])}">'
            f'\n    <h2 class="referral-title"><a href="{e(card["link"])}">'
            f"Referral for {e(card['first_name'])}</a></h2>"
            f"\n    <p>{e(card['status'])}{f' {urgent_badge}' if urgent else ''}"
            f"\n      {shown_clock}</p>"
            '\n    <dl class="facts">'
            f"\n      <dt>From</dt><dd>{e(card['from'])}</dd>"
            f"\n      <dt>Next step</dt><dd>{e(card['waiting'])}</dd>"
            f"\n      <dt>Sent</dt><dd>{e(card['sent'])} ago</dd>"
            "\n    </dl>\n  </li>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped, badges are HTML


# --- Detail and the moves --------------------------------------------------------------


def _move_forms(
    request: HttpRequest, referral: Referral, side: str, bound: forms.MoveForm | None
) -> list[forms.MoveForm]:
    targets = selectors.available_moves(referral, side)
    redirects = prescribers = None
    # Only the forms that show them need the practices and prescribers to choose from.
    if side == states.PRACTICE and S.DECLINED in targets:
        redirects = selectors.referral_practices().exclude(pk=referral.to_organisation_id)
    if side == states.PRACTICE and S.ACCEPTED in targets:
        prescribers = User.objects.filter(
            pk__in=Membership.objects.filter(
                organisation_id=referral.to_organisation_id,
                role=Role.PRESCRIBER,
                is_active=True,
            ).values("user_id")
        ).order_by("full_name", "email")
    result = []
    if bound is not None and bound.target not in targets:
        result.append(bound)  # no longer possible, but what was typed stays on the page
    for target in targets:
        if bound is not None and bound.target == target:
            result.append(bound)
            continue
        result.append(
            forms.MoveForm(
                target=target,
                answering=referral.status == S.INFO_REQUESTED and target == S.RECEIVED,
                redirects=redirects,
                prescribers=prescribers,
                initial={"expected_version": referral.version},
            )
        )
    return result


#: While the referral is being written or triaged, the page says what no release covers.
GAP_STATES = (S.DRAFT, S.SENT, S.RECEIVED, S.INFO_REQUESTED)


def _history_items(history: list[selectors.HistoryEntry], zone: ZoneInfo) -> SafeString:
    """Return the history's list items as HTML, each time in the receiving practice's ``zone``.

    Written here rather than in ``detail.html``: the template loop, two ``date`` filters
    under ``{% timezone %}`` and a display lookup per step, was ~1 ms of the page's CPU
    for six steps. The HTML is the loop's, byte for byte (``test_views.py`` renders that
    loop beside it), every text escaped.
    """
    e = escaped
    labels = dict(S.choices)
    out = []
    for entry in history:
        event = entry.event
        at = timezone.localtime(event.at, zone)
        actor = event.actor
        note = (
            f": \u201c{e(entry.note)}\u201d"
            if entry.note
            else (' <span class="muted">(note withheld)</span>' if entry.withheld else "")
        )
        out.append(
            f'\n    <li><time datetime="{e(dateformat.format(at, "c"))}">'
            f"{e(dateformat.format(at, HISTORY_TIME))}</time> \u2014 "
            f"{e(labels.get(event.to_status, event.to_status))}"
            f"{f' by {e(actor.display_name)}' if actor else ''}{note}</li>\n  \n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


#: How the history writes a step's time (``date`` filter format).
HISTORY_TIME = "D j M Y, H:i T"


def _detail(
    request: HttpRequest,
    referral: Referral,
    *,
    bound: forms.MoveForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    side = side_of(request.user, referral)
    zone = ZoneInfo(referral.to_organisation.time_zone)
    releases = selectors.ReleasesOnce(referral.client_id)
    sections = selectors.packet(request.user, referral, side, releases=releases)
    # The therapist's free-text answers are clinical detail of the kind the treatment-history
    # section carries: the practice reads them only when that section is released to it.
    history = next(s for s in sections if s.key == "treatment_history")
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "side": side,
            # The practice side is named by first name only, as the rest of the page does.
            "header_client": referral.client,
            "header_first_name_only": side != "therapist",
            "sections": sections,
            "therapist_text_shown": history.shown,
            "therapist_text_withheld": history.withheld_label,
            "attachments": selectors.attachments(request.user, referral, side, releases=releases),
            "visit": selectors.scheduled_visit(request.user, referral, side, releases=releases),
            "history_items": _history_items(
                selectors.history(
                    request.user,
                    referral,
                    side,
                    therapist_text_shown=history.shown,
                    releases=releases,
                ),
                zone,
            ),
            "waiting": selectors.waiting_for(referral),
            "time_left": selectors.time_left(referral),
            "due_local": timezone.localtime(referral.due_at, zone) if referral.due_at else None,
            "zone": zone,
            "move_forms": _move_forms(request, referral, side, bound),
            "problem": problem,
            # Before triage (or before answering the practice): what no release covers yet.
            "consent_gap": selectors.consent_gap(referral, releases=releases)
            if referral.status in GAP_STATES
            else None,
        },
        status=status,
    )


@login_required
@require_GET
def detail(request: AuthenticatedHttpRequest, referral_id: str) -> HttpResponse:
    """Show a referral as the viewer's side may see it (the practice sees consented parts only)."""
    return _detail(request, referral_for(request.user, referral_id))


def _move_form(data: Any, referral: Referral, target: str) -> forms.MoveForm:
    return forms.MoveForm(
        data,
        target=target,
        answering=referral.status == S.INFO_REQUESTED and target == S.RECEIVED,
        redirects=selectors.referral_practices().exclude(pk=referral.to_organisation_id),
        prescribers=User.objects.filter(
            memberships__organisation_id=referral.to_organisation_id,
            memberships__role=Role.PRESCRIBER,
            memberships__is_active=True,
        ),
    )


def _make_move(actor: User, referral: Referral, target: str, data: dict[str, Any]) -> None:
    """Call the named action of ``target`` with what the move's form carries."""
    common: dict[str, Any] = {
        "actor": actor,
        "referral": referral,
        "expected_version": data["expected_version"],
    }
    note = data.get("note", "")
    if target == S.ACCEPTED:
        actions.accept(**common, assigned_prescriber=data.get("assigned_prescriber"), note=note)
    elif target == S.DECLINED:
        actions.decline(
            **common,
            decline_reason=data.get("decline_reason", ""),
            note=note,
            redirect_to=data.get("redirect_to"),
        )
    elif target == S.INFO_REQUESTED:
        actions.request_info(**common, question=note)
    elif target == S.RECEIVED and referral.status == S.INFO_REQUESTED:
        actions.answer(**common, answer=note)
    else:
        actions.NAMED_MOVES[target](**common, note=note)


@login_required
@require_POST
def move(request: AuthenticatedHttpRequest, referral_id: str) -> HttpResponse:
    """Make one move along the loop; a stale page or a refused move keeps what was typed."""
    referral = referral_for(request.user, referral_id, Action.CHANGE)
    target = request.POST.get("target", "")
    if target not in selectors.MOVABLE:
        return _detail(
            request,
            referral_for(request.user, referral_id),
            problem="Choose one of the actions on this page.",
            status=400,
        )
    form = _move_form(request.POST, referral, target)
    problem, status = "", 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            _make_move(request.user, referral, target, data)
        except StaleReferralError as error:
            problem, status = str(error), 409
        except TransitionError as error:
            problem = str(error)
        except ValidationError as error:
            for field, errs in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, forms.DONE_MESSAGES.get(target, "Done."))
            return redirect("referrals:detail", referral_id=referral.public_id)
    # Re-read (audited) and show the page again with the typed form and why it did not go.
    referral = referral_for(request.user, referral_id)
    if status == 409:
        # Keep the typed text; the next submit acts on the version now on screen.
        data = request.POST.copy()
        data[f"{target}-expected_version"] = str(referral.version)
        form = _move_form(data, referral, target)
        form.is_valid()
    return _detail(request, referral, bound=form, problem=problem, status=status)
