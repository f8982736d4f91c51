"""Pages of measurement-based care: answering, entering, charts, the registry, case reviews.

Views parse the request, reach the client through ``access``, call one action
or selector and render. The questionnaire form is one ``<fieldset>`` per
question; on a phone a small static script shows them one at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.context_processors import csrf
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.access import CLINICIAN_ROLES, client_for, own_record, seat
from tandem.clients.models import Client
from tandem.core import policy
from tandem.core.compiled import CompiledById
from tandem.core.html import text as escaped
from tandem.core.links import per_id
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.measures import actions
from tandem.measures.access import ENTRY_ROLES, response_for, tracker_for
from tandem.measures.charts import build_charts, day
from tandem.measures.instruments import INSTRUMENTS, Instrument, ScoringError
from tandem.measures.models import MeasureSchedule, ResponseSource, SavedView
from tandem.measures.registry import (
    FILTERS,
    PARTS,
    REGISTRY_MEASURES,
    SORTS,
    Figures,
    Row,
    local_day,
    matches,
    parts_to_order,
    sort_rows,
)
from tandem.measures.registry_sql import SCORE_SORTS
from tandem.measures.selectors import (
    Gate,
    ShownResponse,
    account_shown_responses,
    client_measures,
    fill_scores,
    name_rows,
    registry_by_name,
    registry_by_score,
    registry_gate,
    registry_rows,
)

PAGE_SIZE = 100
#: The highest page number the registry reads in one query with its count (an OFFSET a
#: database takes); a higher one is past any caseload's last page, which Paginator finds.
_LAST_PAGE_ASKED = 2**31 // PAGE_SIZE
#: Instruments a client can answer alone: those whose wording Tandem may show.
PORTAL_INSTRUMENTS = [code for code, i in INSTRUMENTS.items() if i.texts_shipped]


def _instrument(code: str) -> Instrument:
    if code not in INSTRUMENTS:
        raise Http404("Not found.")
    return INSTRUMENTS[code]


def _parse_answers(
    instrument: Instrument, data: Any, require_all: bool
) -> tuple[list[int | None], dict[str, str]]:
    """Read one answer per item from the form; return them and the errors by item field id."""
    answers: list[int | None] = []
    errors: dict[str, str] = {}
    for index, item in enumerate(instrument.items):
        raw = (data.get(f"item-{index}") or "").strip()
        if raw == "":
            answers.append(None)
            if require_all and item.scored:
                errors[f"item-{index}"] = f"Question {item.number}: choose an answer."
            continue
        try:
            answers.append(int(raw))
        except ValueError:
            answers.append(None)
            errors[f"item-{index}"] = f"Question {item.number}: choose one of the answers shown."
    # The last item may be left out altogether when it is recorded but not scored.
    if instrument.items and not instrument.items[-1].scored and answers[-1] is None:
        answers = answers[:-1]
    return answers, errors


def _form_context(instrument: Instrument, data: Any, errors: dict[str, str]) -> dict[str, Any]:
    items = []
    for index, item in enumerate(instrument.items):
        chosen = (data.get(f"item-{index}") or "") if data else ""
        items.append(
            {
                "index": index,
                "item": item,
                "field": f"item-{index}",
                "chosen": chosen,
                "error": errors.get(f"item-{index}", ""),
            }
        )
    return {
        "instrument": instrument,
        "items": items,
        "errors": errors,
        "idempotency_key": (data.get("idempotency_key") if data else "") or uuid.uuid4(),
        "sex": (data.get("sex") if data else "") or "",
    }


def _scoring_error_field(problem: ScoringError) -> str:
    if problem.field.startswith("responses["):
        return "item-" + problem.field[len("responses[") : -1]
    return problem.field


# --- The client's portal ---------------------------------------------------------------------


@login_required
@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    """Show the signed-in client which questionnaires are due and let them answer any."""
    client = own_record(request.user)
    if client is None:
        return redirect("measures:registry")
    today = timezone.localdate()
    schedules = list(MeasureSchedule.objects.filter(client=client, is_active=True))
    due = [
        {"name": INSTRUMENTS[s.instrument].name, "code": s.instrument, "due": s.next_due,
         "overdue": s.next_due < today}
        for s in schedules
        if s.next_due <= today
    ]  # fmt: skip
    return render(
        request,
        "measures/portal.html",
        {
            "client": client,
            "due": due,
            "forms": [INSTRUMENTS[c] for c in PORTAL_INSTRUMENTS],
            "chart_url": reverse("measures:client", kwargs={"client_id": client.public_id}),
        },
    )


def _portal_organisation(client: Client, instrument: str) -> Any:
    """Return the practice collecting a portal answer: the one that scheduled it, else the therapist's."""
    schedule = MeasureSchedule.objects.filter(
        client=client, instrument=instrument, is_active=True
    ).first()
    if schedule is not None:
        return schedule.organisation
    member = (
        client.care_team.filter(ended_on__isnull=True)
        .select_related("organisation")
        .order_by("-is_primary_therapist", "pk")
        .first()
    )
    return member.organisation if member else None


@login_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, instrument_code: str) -> HttpResponse:
    """Let the client answer a questionnaire: one question per screen on a phone, all on a computer."""
    client = own_record(request.user)
    if client is None or instrument_code not in PORTAL_INSTRUMENTS:
        raise Http404("Not found.")
    instrument = INSTRUMENTS[instrument_code]
    organisation = _portal_organisation(client, instrument.code)
    if organisation is None:
        messages.error(request, "You have no care team yet to send answers to.")
        return redirect("measures:portal")
    if request.method == "POST":
        answers, errors = _parse_answers(instrument, request.POST, require_all=True)
        sex = request.POST.get("sex") or None
        if instrument.needs_sex and sex not in ("female", "male"):
            errors["sex"] = "Sex: choose female or male (the cut-off differs)."
        if not errors:
            try:
                response = actions.record_response(
                    request.user, client, instrument, answers, sex,
                    source=ResponseSource.PORTAL,
                    idempotency_key=request.POST.get("idempotency_key") or uuid.uuid4(),
                    organisation=organisation,
                )  # fmt: skip
            except ScoringError as problem:
                errors[_scoring_error_field(problem)] = problem.message
            else:
                return redirect("measures:response", response_id=response.public_id)
        context = _form_context(instrument, request.POST, errors)
        return render(request, "measures/answer.html", {**context, "portal": True}, status=400)
    return render(
        request, "measures/answer.html", {**_form_context(instrument, None, {}), "portal": True}
    )


# --- Clinicians entering answers given on paper or aloud --------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, client_id: str, instrument_code: str) -> HttpResponse:
    """Let a care-team member enter answers the client gave on paper or aloud."""
    client = client_for(request.user, client_id)
    member = seat(request.user, client, ENTRY_ROLES)
    if member is None:
        raise Http404("Not found.")
    instrument = _instrument(instrument_code)
    context: dict[str, Any]
    if request.method == "POST":
        answers, errors = _parse_answers(instrument, request.POST, require_all=False)
        source = request.POST.get("source", "")
        if source not in (ResponseSource.PAPER, ResponseSource.CLINICIAN):
            errors["source"] = "How were the answers given: choose on paper or aloud."
        answered_on = _parse_day(request.POST.get("answered_on", ""), errors)
        sex = request.POST.get("sex") or None
        if all(a is None for a in answers):
            errors.setdefault("item-0", "Enter at least one answer.")
        if not errors:
            try:
                response = actions.record_response(
                    request.user, client, instrument, answers, sex,
                    source=source,
                    idempotency_key=request.POST.get("idempotency_key") or uuid.uuid4(),
                    organisation=member.organisation,
                    entered_at=_entered_at(answered_on),
                )  # fmt: skip
            except ScoringError as problem:
                errors[_scoring_error_field(problem)] = problem.message
            else:
                return redirect("measures:response", response_id=response.public_id)
        context = _form_context(instrument, request.POST, errors)
        context.update(source=source, answered_on=request.POST.get("answered_on", ""))
        return render(
            request,
            "measures/answer.html",
            {**context, "client": client, "portal": False},
            status=400,
        )
    context = _form_context(instrument, None, {})
    context.update(source=ResponseSource.PAPER, answered_on=timezone.localdate().isoformat())
    return render(request, "measures/answer.html", {**context, "client": client, "portal": False})


def _parse_day(raw: str, errors: dict[str, str]) -> dt.date | None:
    if not raw:
        return None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        errors["answered_on"] = "Date answered: a date such as 2026-03-02."
        return None
    if value > timezone.localdate():
        errors["answered_on"] = "Date answered: not in the future."
    return value


def _entered_at(answered_on: dt.date | None) -> dt.datetime | None:
    """Return when the answers were given: now for today, midday of an earlier day otherwise."""
    if answered_on is None or answered_on == timezone.localdate():
        return None
    return timezone.make_aware(dt.datetime.combine(answered_on, dt.time(12)))


@login_required
@require_GET
def response_detail(request: HttpRequest, response_id: str) -> HttpResponse:
    """Show one response: the confirmation after answering, with crisis resources when flagged."""
    response = response_for(request.user, response_id)
    is_client = response.client.user_id == request.user.pk
    shown = True
    withheld_label = ""
    if not is_client:
        member = seat(request.user, response.client)
        orgs = {response.client_id: member.organisation_id} if member else {}
        decision = Gate(request.user, [response.client_id], orgs)(
            response.client_id, response.organisation_id, response.entered_by_id
        )
        if decision is not None and not decision.allowed:
            shown, withheld_label = False, decision.withheld_label
        account_shown_responses(
            request.user,
            response.client,
            member.organisation_id if member else None,
            [ShownResponse(response, decision)],
        )
    instrument = INSTRUMENTS[response.instrument]
    answered = []
    for item, value in zip(instrument.items, response.answers, strict=False):
        label = next((o.label for o in item.options if o.value == value), "not answered")
        answered.append((item, value, label))
    return render(
        request,
        "measures/response.html",
        {
            "response": response,
            "header_client": response.client,
            "instrument": instrument,
            # Even the instrument's name says something (AUDIT-C, PCL-5): withheld, it goes.
            "name": instrument.name if shown else "Questionnaire",
            "is_client": is_client,
            "shown": shown,
            "withheld_label": withheld_label,
            "answered": answered,
            "when": day(response.entered_at),
        },
    )


# --- One client's charts, cadence, trackers and reviews -------------------------------------


@login_required
@require_GET
def client_page(request: HttpRequest, client_id: str) -> HttpResponse:
    """Show each measure's trend over time with bands, markers, trackers and the data tables."""
    return _client_page(request, client_for(request.user, client_id))


def _client_page(
    request: HttpRequest,
    client: Client,
    *,
    failed: str = "",
    failed_tracker: Any = None,
    errors: ValidationError | None = None,
) -> HttpResponse:
    """Render the client's page; after a refused form, with its errors and what was typed.

    ``failed`` names the form that was refused ("tracker_new", "entry", "schedule",
    "review"); that form shows the errors, names the fields, and keeps the values
    as they were posted, so nobody types a long recommendation twice.
    """
    measures = client_measures(request.user, client)
    charts, tracker_charts, marks = build_charts(measures)
    member = seat(request.user, client)
    trackers = [t.tracker for t in measures.trackers if t.shown]
    form_errors = [m for ms in errors.message_dict.values() for m in ms] if errors else []
    bad_fields = set(errors.message_dict) if errors else set()
    for t in trackers:
        mine = failed == "entry" and failed_tracker is not None and t.pk == failed_tracker.pk
        t.posted = request.POST if mine else {}  # type: ignore[attr-defined]
        t.form_errors = form_errors if mine else []  # type: ignore[attr-defined]
        t.bad_fields = bad_fields if mine else set()  # type: ignore[attr-defined]
    return render(
        request,
        "measures/client.html",
        {
            "client": client,
            "charts": charts,
            "tracker_charts": tracker_charts,
            "marks": [
                (n, day(m.at), m.label)
                for n, m in enumerate(marks, start=1)
                if m.kind == "medication"
            ],
            "appointments": [day(m.at) for m in marks if m.kind == "appointment"],
            "schedules": [
                (
                    INSTRUMENTS[s.instrument].name,
                    s.every_days,
                    day(s.next_due),
                    s.next_due < timezone.localdate(),
                )
                for s in measures.schedules
            ],
            "reviews": measures.reviews,
            "trackers": trackers,
            "may_enter": member is not None and member.role in ENTRY_ROLES,
            "may_prescribe": member is not None and member.role == Role.PRESCRIBER,
            "is_clinician": member is not None and member.role in CLINICIAN_ROLES,
            "entry_forms": list(INSTRUMENTS.values()),
            "cadence_forms": [INSTRUMENTS[c] for c in PORTAL_INSTRUMENTS],
            "today": timezone.localdate().isoformat(),
            "failed": failed,
            "posted": request.POST if failed and failed != "entry" else {},
            "form_errors": form_errors if failed != "entry" else [],
            "bad_fields": bad_fields if failed != "entry" else set(),
        },
        status=400 if failed else 200,
    )


def _errors_to_messages(request: HttpRequest, error: ValidationError) -> None:
    for field_errors in error.message_dict.values():
        for message in field_errors:
            messages.error(request, message)


def _back_to_client(client: Client, anchor: str = "") -> HttpResponse:
    return redirect(reverse("measures:client", kwargs={"client_id": client.public_id}) + anchor)


def _post_on_client_page(
    request: HttpRequest,
    client: Client,
    form: str,
    save: Callable[[], object],
    done: str,
    anchor: str,
    tracker: Any = None,
    *,
    show_refusal: bool = True,
) -> HttpResponse:
    """Run one form of the client's measures page through its action.

    Saved: say ``done`` and go back to the form's section. Refused by a rule: the page
    again (400) with the errors beside ``form`` and the typed input kept. Refused for
    the person's role: say why, on the page they came from; or, without
    ``show_refusal``, let the ``Forbidden`` through (the same 404 as a missing object).
    """
    try:
        save()
    except Forbidden as refused:
        if not show_refusal:
            raise
        messages.error(request, str(refused))
    except ValidationError as error:
        return _client_page(request, client, failed=form, failed_tracker=tracker, errors=error)
    else:
        messages.success(request, done)
    return _back_to_client(client, anchor)


@login_required
@require_POST
def schedule(request: HttpRequest, client_id: str) -> HttpResponse:
    """Set how often the client is asked to answer a measure (prescribers)."""
    client = client_for(request.user, client_id)
    return _post_on_client_page(
        request,
        client,
        "schedule",
        lambda: actions.set_schedule(
            actor=request.user,
            client=client,
            instrument=request.POST.get("instrument", ""),
            every_days=request.POST.get("every_days", ""),
        ),
        "Cadence saved. The client is reminded when a measure is due.",
        "#cadence",
    )


@login_required
@require_POST
def tracker_new(request: HttpRequest, client_id: str) -> HttpResponse:
    """Define a symptom tracker for the client (their clinicians)."""
    client = client_for(request.user, client_id)
    return _post_on_client_page(
        request,
        client,
        "tracker_new",
        lambda: actions.define_tracker(
            actor=request.user,
            client=client,
            name=request.POST.get("name", ""),
            unit=request.POST.get("unit", ""),
            lower_is_better=request.POST.get("higher_is_better") != "on",
        ),
        "Tracker added.",
        "#trackers",
    )


@login_required
@require_POST
def tracker_entry(request: HttpRequest, tracker_id: str) -> HttpResponse:
    """Record one value of a tracker."""
    tracker = tracker_for(request.user, tracker_id)

    def save() -> None:
        actions.record_symptom(
            actor=request.user,
            tracker=tracker,
            recorded_on=request.POST.get("recorded_on", ""),
            value=request.POST.get("value", ""),
        )

    # Who may read the tracker but not record in it gets the 404 of a tracker not theirs.
    return _post_on_client_page(
        request,
        tracker.client,
        "entry",
        save,
        "Value recorded.",
        "#trackers",
        tracker=tracker,
        show_refusal=False,
    )


@login_required
@require_POST
def review(request: HttpRequest, client_id: str) -> HttpResponse:
    """Record a case review's recommendations for the client."""
    client = client_for(request.user, client_id)
    return _post_on_client_page(
        request,
        client,
        "review",
        lambda: actions.record_case_review(
            actor=request.user,
            client=client,
            recommendations=request.POST.get("recommendations", ""),
        ),
        "Review recorded; the care team was told.",
        "#reviews",
    )


# --- The registry --------------------------------------------------------------------------


def _registry_params(request: HttpRequest) -> dict[str, str]:
    measure = request.GET.get("measure", "phq-9")
    if measure not in REGISTRY_MEASURES:
        measure = "phq-9"
    flag = request.GET.get("flag", "")
    if flag not in FILTERS:
        flag = ""
    sort = request.GET.get("sort", "name")
    if sort.lstrip("-") not in SORTS:
        sort = "name"
    return {"measure": measure, "flag": flag, "sort": sort}


def _rows(request: HttpRequest, params: dict[str, str]) -> list[Row]:
    """Return every row of the registry, filtered and sorted, each row complete (the CSV)."""
    rows = registry_rows(request.user, params["measure"])
    if params["flag"]:
        rows = [r for r in rows if matches(r, params["flag"])]
    return sort_rows(rows, params["sort"])


def _counted_page(rows: list[Row], number: int, total: int) -> Page[Row]:
    """Return ``rows`` as page ``number`` of ``total`` rows, counted by the page's own query."""
    paginator: Paginator[Row] = Paginator([], PAGE_SIZE)  # for the page links only
    paginator.count = total  # (a cached_property: counted already)
    return Page(rows, number, paginator)


def _page(request: HttpRequest, params: dict[str, str]) -> tuple[Page[Row], int]:
    """Return the page of rows asked for, and the number of rows in all.

    Ordered by name and unfiltered, the database orders, counts and cuts the
    caseload, so only the page's hundred rows are built and scored; ordered by the
    latest or first score and unfiltered, too, unless a client has a score of another
    practice (whose consent decision the order depends on). Any other
    sort or filter (or that case) fills, for every row, what the order and the filter read
    (``parts_to_order``: the scores, plus the contacts or alerts when sorted or
    filtered by those) and the cadences (which the consent gate decides with the
    scores, reading the releases it needs once), then the rest for the page's rows.
    """
    actor, measure = request.user, params["measure"]
    asked = request.GET.get("page")
    try:
        number = 1 if asked is None else int(asked)  # as Paginator.get_page reads it
    except ValueError:
        number = 1
    if (
        not params["flag"]
        and params["sort"].lstrip("-") in SCORE_SORTS
        and 1 <= number <= _LAST_PAGE_ASKED
    ):
        # By the latest or first score, unfiltered: the database orders, counts and cuts the
        # caseload, unless a score of another practice needs a consent decision (the order
        # then depends on the decisions: sorted in Python below) or there is no such page.
        entries = registry_by_score(
            actor, measure, params["sort"], offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        if entries and not entries[0][-1]:
            total = entries[0][-2]
            rows = fill_scores(actor, name_rows((e[:5] for e in entries), measure))
            return _counted_page(rows, number, total), total
    if params["flag"] or params["sort"].lstrip("-") != "name":
        rows = registry_rows(actor, measure, scores=False)
        # Every row's cadences with its scores: the consent gate decides both, and reads
        # the releases it needs for them in one load (the page's pass needs none).
        needed = parts_to_order(params["sort"], params["flag"]) | {"schedules"}
        # The rows are the caseload (one per client of the actor's seats): the gate and
        # the scores take their ids (no query for the ids, one parameter in the SQL).
        gate = registry_gate(actor, rows)
        fill_scores(actor, rows, parts=needed, gate=gate)
        if params["flag"]:
            rows = [r for r in rows if matches(r, params["flag"])]
        rows = sort_rows(rows, params["sort"])
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        fill_scores(actor, list(page.object_list), parts=PARTS - needed, gate=gate)
        return page, len(rows)
    descending = params["sort"].startswith("-")
    if 1 <= number <= _LAST_PAGE_ASKED:
        # The page and the count in one query; past the last page, as below.
        entries = list(
            registry_by_name(actor, descending=descending, counted=True)[
                (number - 1) * PAGE_SIZE : number * PAGE_SIZE
            ]
        )
        if entries:
            total = entries[0][-1]
            rows = fill_scores(actor, name_rows((e[:-1] for e in entries), measure))
            return _counted_page(rows, number, total), total
    # No such page (or none of the caseload): Paginator counts and picks the page it shows.
    clients = registry_by_name(actor, descending=descending)
    by_name = Paginator(clients, PAGE_SIZE).get_page(asked)
    rows = fill_scores(actor, name_rows(by_name.object_list, measure))
    return Page(
        rows, by_name.number, cast(Paginator[Row], by_name.paginator)
    ), by_name.paginator.count


#: The registry's flag tags, in the order of the table's flags cell: (``Figures`` field, tag);
#: the first is the open alerts' (``Row.open_alerts``).
_FLAG_TAGS = (
    ("open_alerts", '<span class="tag tag-danger">Safety alert open</span>'),
    ("latest_flagged", '<span class="tag tag-danger">Suicide item positive</span>'),
    ("latest_item9_blank", '<span class="tag tag-warn">Item 9 not answered</span>'),
    ("not_improving", '<span class="tag tag-warn">Not improving: case review</span>'),
    ("response", '<span class="tag tag-ok">Response</span>'),
    ("remission", '<span class="tag tag-ok">Remission</span>'),
    ("is_new", '<span class="tag">New</span>'),
)
_FLAG_FIELDS = tuple(Figures._fields.index(key) for key, _ in _FLAG_TAGS[1:])


def _registry_table_rows(rows: Iterable[Row]) -> SafeString:
    """Return the registry table's body rows for ``rows`` as HTML.

    Written here rather than in ``registry.html``: the template engine spent ~17 ms on a
    page's 100 rows of thirty-odd nodes each (a third of the page's time), the same
    markup formatted here takes about one. The HTML is the template's, byte for byte
    (``test_registry.py`` renders the template's loop beside it, on values read from the
    row's properties): every text escaped, numbers written as ``{{ }}`` writes an int
    (no thousands separator in this project), each day as the ``date`` filter shows it.

    Each row's derived values are computed once (``Row.figures``); the client page's URL
    is reversed once per page (``core.links.per_id``) and, a public id being a UUID,
    escaped only if the pattern itself needs it; each day is written from its month's
    name, formatted by ``dateformat`` once per month a page (``_Days``), as is each
    measure's name escaped once; the row's class is one of three constants.
    """
    e = escaped
    dash = "\u2014"
    client_url = per_id("measures:client")
    plain_url = e(client_url(_SAMPLE_ID)) == client_url(_SAMPLE_ID)
    tz = timezone.get_current_timezone()
    days = _Days()
    on, on_year = days.on, days.on_year
    measure_names: dict[str, str] = {}
    flag_values = itemgetter(*_FLAG_FIELDS)
    tags: dict[tuple[bool, tuple[bool, ...]], str] = {}  # the flags cell's tags, by flags

    out = []
    for r in rows:
        figures = r.figures(tz)
        baseline, latest, client = r.baseline, r.latest, r.client
        first = (
            f'{baseline.total} <span class="muted">{on(local_day(baseline.at, tz))}</span>'
            if baseline is not None
            else '<span class="muted">no score</span>'
        )
        if r.withheld:
            first += f' <span class="tag">{r.withheld} withheld</span>'
        flagged = (r.open_alerts > 0, flag_values(figures))
        flags = tags.get(flagged)
        if flags is None:
            flags = tags[flagged] = "".join(
                "\n      " + tag if on else "\n      "
                for on, (_, tag) in zip((flagged[0], *flagged[1]), _FLAG_TAGS, strict=True)
            )
        overdue = ", ".join(r.overdue_measures)
        flags += (
            f'\n      <span class="tag tag-warn">Overdue: {e(overdue)}</span>'
            if overdue
            else "\n      "
        )
        points, percent, weeks = (
            figures.change_points,
            figures.change_percent,
            figures.weeks_in_treatment,
        )
        row_class = (
            "row-safety" if figures.safety else "row-review" if figures.not_improving else ""
        )
        if r.next_due is not None:
            name = measure_names.get(r.next_due_measure)
            if name is None:
                name = measure_names[r.next_due_measure] = e(r.next_due_measure)
            due = f"{name} {on(r.next_due)}"
        else:
            due = dash
        public_id = client.public_id
        href = (
            client_url(public_id)
            if plain_url and type(public_id) is uuid.UUID
            else e(client_url(public_id))
        )
        out.append(
            f'\n  <tr class="{row_class}">'
            f'\n    <td><a href="{href}">'
            f"{e(client.last_name)}, {e(client.first_name)}</a></td>"
            f"\n    <td>{first}</td>"
            "\n    <td>"
            + (
                f'{latest.total} <span class="muted">{on(local_day(latest.at, tz))}</span>'
                if latest is not None
                else dash
            )
            + "</td>"
            f"\n    <td>{dash if points is None else points}</td>"
            f"\n    <td>{dash if percent is None else f'{percent}%'}</td>"
            f"\n    <td>{dash if weeks is None else weeks}</td>"
            f'\n    <td class="flags">{flags}\n    </td>'
            "\n    <td>"
            + (on_year(local_day(r.last_contact, tz)) if r.last_contact is not None else dash)
            + f"</td>\n    <td>{due}</td>\n  </tr>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped, the rest numbers


#: A public id to test the client page's URL pattern with (a UUID's text needs no escaping).
_SAMPLE_ID = uuid.UUID(int=0)


class _Days:
    """Days as the ``date`` filter writes them with ``"M j"`` and ``"M j, Y"``, escaped.

    ``dateformat.format`` parses its format and builds a formatter on every call (~9 µs;
    a page shows a hundred-odd distinct days). Its ``M`` is the month's abbreviation in
    the active language, ``j`` the day of the month without a leading zero and ``Y`` the
    year in four digits, the rest written as it is: so the month's name is asked of
    ``dateformat`` once per month a page and the day and year written beside it
    (``test_registry.py`` compares every day of four years with ``dateformat``'s, in
    three languages). Made per page: the language can change between requests.
    """

    __slots__ = ("months",)

    def __init__(self) -> None:
        self.months: dict[int, str] = {}

    def month(self, day: dt.date) -> str:
        name = self.months.get(day.month)
        if name is None:
            name = self.months[day.month] = escaped(dateformat.format(day, "M"))
        return name

    def on(self, day: dt.date) -> str:
        """``day|date:"M j"``, escaped."""
        return f"{self.month(day)} {day.day}"

    def on_year(self, day: dt.date) -> str:
        """``day|date:"M j, Y"``, escaped."""
        return f"{self.month(day)} {day.day}, {day.year:04d}"


def _require_registry_role(request: HttpRequest) -> None:
    if not (
        {Role.PRESCRIBER, Role.COORDINATOR, Role.THERAPIST, Role.PRACTICE_ADMIN}
        & policy.roles(request.user)
    ):
        raise Http404("Not found.")


@login_required
@require_GET
def registry(request: HttpRequest) -> HttpResponse:
    """Show the caseload registry: one row per active client, filtered, sorted, paged."""
    _require_registry_role(request)
    params = _registry_params(request)
    page, total = _page(request, params)
    record(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="measures.registry",
        detail={"list": "registry", "clients": [str(r.client.public_id) for r in page.object_list]},
    )
    # The page's one CSRF token, for base.html's forms and the saved views' (a view's
    # context wins over the context processors', whose lazy token this is).
    token = csrf(request)["csrf_token"]
    views = _SAVED_VIEWS.rows(request.user.pk or 0)
    content = _registry_content(params, page, total, views, token)
    return render(request, "measures/registry.html", {"content": content, "csrf_token": token})


#: The user's saved views (by name), compiled once per process (``core.compiled``).
_SAVED_VIEWS = CompiledById(SavedView, lambda user_id: SavedView.objects.filter(user_id=user_id))


def _registry_content(
    params: dict[str, str], page: Page[Row], total: int, views: list[SavedView], token: Any
) -> SafeString:
    """Return the registry page's content block as HTML, as ``registry.html`` wrote it.

    Written here rather than in the template: its filter selects, sort links, saved views
    and page links were ~40 template nodes a request, the page's largest share after its
    rows. What depends only on the filter and sort (the form, the links, the table's
    head) is written once per process and per URL prefix (``_registry_fixed``: nothing
    about anyone); the rest per request. ``test_registry.py`` renders the template the
    page had beside it over every filter, sort and measure, pages, saved views and names
    with markup, and asks for the same page byte for byte.
    """
    e = escaped
    fixed = _registry_fixed(
        params["measure"], params["flag"], params["sort"], get_script_prefix(), get_urlconf()
    )
    if token:  # as {% csrf_token %} writes it
        csrf_input = (
            ""
            if token == "NOTPROVIDED"  # noqa: S105 - Django's sentinel, not a secret
            else f'<input type="hidden" name="csrfmiddlewaretoken" value="{e(token)}">'
        )
    else:
        csrf_input = ""
    out = [fixed.top]
    if views:
        out.append(f' ({len(views)})</summary>\n  <ul class="code-list">')
        for v in views:
            name = e(v.name)
            out.append(
                f'<li><a href="?{e(v.query)}">{name}</a>'
                '\n    <details class="confirm"><summary class="link-button">Delete…'
                f'<span class="visually-hidden"> {name}</span></summary>'
                f'\n      <form method="post" action="{fixed.delete_url}">{csrf_input}'
                f'<input type="hidden" name="view" value="{v.pk}">'
                '<button type="submit" class="button button-danger-confirm">'
                "Yes, delete the saved view"
                f'<span class="visually-hidden"> {name}</span></button></form>'
                "\n    </details></li>"
            )
        out.append("</ul>")
    else:
        out.append("</summary>\n  ")
    flag_label = FILTERS.get(params["flag"], "")
    out.append(
        f"{fixed.save_form}{csrf_input}{fixed.after_csrf}"
        f'<p role="status">{total} client{"" if total == 1 else "s"}'
        f"{f' ({e(flag_label)})' if flag_label else ''}.</p>\n"
    )
    rows = page.object_list
    if rows:
        out.append("\n")
        out.append(fixed.table_head)
        out.append(_registry_table_rows(rows))
        out.append("\n  </tbody>\n</table></div>\n")
        out.append(_page_links(page, fixed.query, "Previous page", "Next page"))
        out.append("\n")
    else:
        out.append('\n<p class="muted">No clients match.</p>\n')
    out.append("\n")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped, the rest numbers


class _Fixed(NamedTuple):
    """The parts of the registry page that depend only on its filter, sort and measure."""

    top: str  # up to the saved views' summary's count
    delete_url: str
    save_form: str  # after the saved views' list, up to the CSRF input
    after_csrf: str  # after it, up to the status line
    table_head: str  # the table up to its rows
    query: str  # the filter and sort, urlencoded and escaped


@lru_cache(maxsize=1024)
def _registry_fixed(measure: str, flag: str, sort: str, prefix: str, urlconf: str | None) -> _Fixed:
    """Return the registry page's parts for this filter, sort and measure, escaped.

    Cached per process: ``prefix`` and ``urlconf`` (what ``reverse`` reads besides the
    names) are part of the key, and the rest are the three parameters (2 x 8 x 16).
    """
    e = escaped
    params = {"measure": measure, "flag": flag, "sort": sort}
    query = e(urlencode(params))

    def selected(value: str, current: str) -> str:
        return "selected" if value == current else ""

    measures = "".join(
        f'<option value="{e(code)}" {selected(code, measure)}>{e(name)}</option>'
        for code, name in REGISTRY_MEASURES.items()
    )
    filters = "".join(
        f'<option value="{e(key)}" {selected(key, flag)}>{e(label)}</option>'
        for key, label in FILTERS.items()
    )
    sorts = "".join(
        f'<option value="{e(key)}" {selected(key, sort)}>{e(label)}, lowest first</option>'
        f'<option value="-{e(key)}" {selected(f"-{key}", sort)}>{e(label)}, highest first'
        "</option>"
        for key, (label, _) in SORTS.items()
    )
    top = (
        "\n<h1>Caseload registry</h1>"
        '\n<p class="lede">One row per active client of your care teams. Response: a drop'
        " of 50% or more from baseline. Remission: latest below 5. Not improving: 10 weeks"
        " or more without a response — bring to case review.</p>"
        f'\n<p><a href="{e(reverse("measures:case_reviews"))}?measure={e(measure)}">'
        "Case review list</a> · "
        f'<a href="{e(reverse("measures:registry_export"))}?{query}">Download CSV</a></p>'
        '\n<form method="get" class="filters" aria-label="Filter the registry">'
        '\n  <p class="field"><label for="measure">Measure</label>'
        f'\n    <select id="measure" name="measure">{measures}</select></p>'
        '\n  <p class="field"><label for="flag">Show</label>'
        f'\n    <select id="flag" name="flag"><option value="">Everyone</option>{filters}'
        "</select></p>"
        '\n  <p class="field"><label for="sort">Sort by</label>'
        f'\n    <select id="sort" name="sort">{sorts}</select></p>'
        '\n  <p class="field"><button type="submit">Apply</button></p>'
        "\n</form>"
        '\n<details class="saved-views">'
        "\n  <summary>Saved views"
    )
    save_form = (
        f'\n  <form method="post" action="{e(reverse("measures:save_view"))}"'
        ' class="filters">\n    '
    )
    after_csrf = (
        f'<input type="hidden" name="query" value="{query}">'
        '\n    <p class="field"><label for="view-name">Save this view as</label>'
        '<input type="text" id="view-name" name="name" maxlength="60" required></p>'
        '\n    <p class="field"><button type="submit" class="button button-secondary">'
        "Save view</button></p>"
        "\n  </form>"
        "\n</details>\n"
    )
    head = []
    for key, (label, _) in SORTS.items():
        if sort == key:
            current, target = "ascending", f"-{key}"
        elif sort == f"-{key}":
            current, target = "descending", key
        else:
            current, target = "", key
        link = e(urlencode({**params, "sort": target}))
        aria = f' aria-sort="{current}"' if current else ""
        flags = '<th scope="col">Flags</th>' if key == "weeks" else ""
        head.append(
            f'\n    <th scope="col"{aria}><a href="?{link}">{e(label)}</a></th>\n    {flags}\n    '
        )
    table_head = (
        '<div class="table-scroll" tabindex="0" role="region" aria-label="Caseload registry">'
        '<table class="registry">'
        f'\n  <caption class="visually-hidden">Registry, {e(REGISTRY_MEASURES[measure])}'
        "</caption>"
        "\n  <thead><tr>\n    " + "".join(head) + "\n  </tr></thead>\n  <tbody>\n  "
    )
    return _Fixed(
        top=top,
        delete_url=e(reverse("measures:delete_view")),
        save_form=save_form,
        after_csrf=after_csrf,
        table_head=table_head,
        query=query,
    )


def _page_links(page: Page[Row], query: str, previous: str, next_: str) -> str:
    """Return what ``{% include "core/pages.html" %}`` writes for ``page`` (``query``
    urlencoded and escaped, the labels escaped)."""
    if not page.has_other_pages():
        return "\n\n"
    before = f"{query}&amp;" if query else ""
    out = '\n\n<nav aria-label="Pages" class="actions">\n  '
    if page.has_previous():
        out += f'<a href="?{before}page={page.previous_page_number()}" rel="prev">{previous}</a>'
    out += f"\n  <span>Page {page.number} of {page.paginator.num_pages}</span>\n  "
    if page.has_next():
        out += f'<a href="?{before}page={page.next_page_number()}" rel="next">{next_}</a>'
    return out + "\n</nav>\n\n"


@login_required
@require_GET
def registry_export(request: HttpRequest) -> HttpResponse:
    """Download the registry as it is filtered and sorted, as CSV (audited as an export)."""
    _require_registry_role(request)
    params = _registry_params(request)
    rows = _rows(request, params)
    record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="measures.registry",
        detail={"format": "csv", **params, "clients": [str(r.client.public_id) for r in rows]},
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="registry.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(
        ["Client", "Measure", "Baseline", "Baseline date", "Latest", "Latest date", "Change (points)",
         "Change (%)", "Weeks in treatment", "Last contact", "Next due", "Next due measure",
         "Response", "Remission", "Not improving", "Overdue", "Open safety alerts",
         "Latest suicide flag"]
    )  # fmt: skip
    for r in rows:
        writer.writerow(
            [
                _csv_safe(f"{r.client.last_name}, {r.client.first_name}"),
                REGISTRY_MEASURES[r.measure],
                _value(r.baseline.total if r.baseline else None),
                r.baseline.at.date().isoformat() if r.baseline else "",
                _value(r.latest.total if r.latest else None),
                r.latest.at.date().isoformat() if r.latest else "",
                _value(r.change_points),
                _value(r.change_percent),
                _value(r.weeks_in_treatment),
                timezone.localtime(r.last_contact).date().isoformat() if r.last_contact else "",
                r.next_due.isoformat() if r.next_due else "",
                r.next_due_measure,
                _yes(r.response), _yes(r.remission), _yes(r.not_improving),
                "; ".join(r.overdue_measures),
                r.open_alerts,
                _yes(r.latest_flagged),
            ]
        )  # fmt: skip
    return response


def _value(value: int | None) -> str:
    return "" if value is None else str(value)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _csv_safe(text: str) -> str:
    """Keep a spreadsheet from running a cell as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@login_required
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    """Save the registry's current filter and sort under a name."""
    _require_registry_role(request)
    query = request.POST.get("query", "")
    try:
        actions.save_view(actor=request.user, name=request.POST.get("name", ""), query=query)
    except ValidationError as error:
        _errors_to_messages(request, error)
    else:
        messages.success(request, "View saved.")
    return redirect(reverse("measures:registry") + "?" + query.lstrip("?"))


@login_required
@require_POST
def delete_view(request: HttpRequest) -> HttpResponse:
    """Delete one of the user's saved views."""
    try:
        view_id = int(request.POST.get("view", ""))
    except ValueError:
        view_id = 0
    actions.delete_view(actor=request.user, view_id=view_id)
    messages.success(request, "View deleted.")
    return redirect("measures:registry")


@login_required
@require_GET
def case_reviews(request: HttpRequest) -> HttpResponse:
    """List clients for systematic case review: safety first, then not improving, then new."""
    _require_registry_role(request)
    measure = _registry_params(request)["measure"]
    rows = sorted(registry_rows(request.user, measure), key=lambda r: r.review_priority)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # One row per view names only the page's clients (and the list's size), so it stays
    # bounded however large the caseload, as on the registry.
    record(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="measures.registry",
        detail={
            "list": "case_review",
            "clients": [str(r.client.public_id) for r in page.object_list],
            "total": len(rows),
        },
    )
    return render(
        request,
        "measures/case_reviews.html",
        {
            "rows": page.object_list,
            "page": page,
            "query": urlencode({"measure": measure}),
            "measure": measure,
            "measures": REGISTRY_MEASURES,
        },
    )
