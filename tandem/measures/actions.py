"""Writes of measurement-based care: responses, cadences, trackers, saved views, case reviews.

Each action checks who may do it, writes inside one transaction with its audit
row, and enqueues its timers on commit. The portal, the clinicians' pages, the
appointment bot (``source="intake"``) and scripts all call these same functions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.access import CLINICIAN_ROLES, seat
from tandem.clients.models import CareTeamMember, Client
from tandem.consent import actions as consent_actions
from tandem.consent.decision import Party
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.measures import safety, signals
from tandem.measures.access import ENTRY_ROLES
from tandem.measures.instruments import Instrument, ScoringError, get_instrument
from tandem.measures.instruments.phq import SUICIDE_ITEM
from tandem.measures.models import (
    CASE_REVIEW_MAX,
    CaseReview,
    MeasureSchedule,
    QuestionnaireResponse,
    ResponseSource,
    SavedView,
    SymptomEntry,
    SymptomTracker,
)
from tandem.measures.sharing import CASE_REVIEW_CATEGORY, CATEGORY, PURPOSE
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.organisations.models import Membership, Organisation

#: Cadences a prescriber may set, in days (weekly to every three months).
MIN_EVERY_DAYS, MAX_EVERY_DAYS = 7, 91
#: Local hour at which a "measure due" reminder goes out.
REMINDER_HOUR = 9


# --- Responses ---------------------------------------------------------------------------


def _check_entry_rights(
    actor: Any, client: Client, source: str, organisation: Organisation
) -> None:
    """Refuse an entry that the actor may not make for this client and practice."""
    if source == ResponseSource.PORTAL:
        if actor is None or client.user_id != actor.pk:
            raise Forbidden("Only the client answers on the portal.")
        return
    if source == ResponseSource.INTAKE:
        if actor is not None and client.user_id != actor.pk:
            member = seat(actor, client, ENTRY_ROLES)
            if member is None:
                raise Forbidden("Only the client or their care team records intake answers.")
        return
    member = seat(actor, client, ENTRY_ROLES) if actor is not None else None
    if member is None or member.organisation_id != organisation.pk:
        raise Forbidden("Only the client's care team enters answers, for its own practice.")


#: The C-SSRS screener's triage (Columbia): moderate risk asks for a behavioural-health
#: consult (urgent, within the hour), high risk takes the emergency path. Low raises nothing.
TRIAGE_ALERT_LEVEL = {"moderate": "urgent", "high": "emergency"}
TRIAGE_ASKS = {
    "moderate": "behavioural-health consult needed",
    "high": "emergency evaluation needed now",
}


def _triage(flags: tuple[str, ...] | list[str]) -> str:
    for level in ("high", "moderate"):
        if f"suicide_risk_{level}" in flags:
            return level
    return ""


def _alert_level(instrument: Instrument, answers: list[int | None], flags: tuple[str, ...]) -> str:
    """Return the alert level: the C-SSRS triage's, else urgent for item 9 at 2 or 3, else concern."""
    triage = _triage(flags)
    if triage:
        return TRIAGE_ALERT_LEVEL[triage]
    if instrument.code == "phq-9":
        item9 = answers[SUICIDE_ITEM - 1] or 0
        return "urgent" if item9 >= 2 else "concern"
    return "concern"


def _alert_summary(
    instrument: Instrument, answers: list[int | None], flags: tuple[str, ...], source: str
) -> str:
    where = ResponseSource(source).label.lower()
    if instrument.code == "phq-9":
        item9 = answers[SUICIDE_ITEM - 1] or 0
        label = instrument.items[SUICIDE_ITEM - 1].options[item9].label
        return (
            f"PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered "
            f"“{label}” ({item9}); {where}."
        )
    triage = _triage(flags)
    return f"{instrument.name} triaged at {triage} risk: {TRIAGE_ASKS[triage]} (Columbia triage); {where}."


def _disclose_to_team(
    actor: Any,
    *,
    client: Client,
    obj: Any,
    category: str,
    source: Party,
    description: str,
) -> list[tuple[CareTeamMember, bool]]:
    """Disclose ``obj`` to the care-team members of other practices, as consent allows.

    Return each active member (of any practice, the actor excepted) with whether
    they may read it: members of the source practice always (no disclosure), the
    others when the decision point allows it, which records the disclosure in the
    client's accounting. A refused one leaves the record with the practice that
    wrote it (it shows to the others as withheld, with the reason).
    """
    active = Membership.objects.filter(
        user=OuterRef("user"), organisation=OuterRef("organisation"), is_active=True
    )
    members = (
        CareTeamMember.objects.filter(Exists(active), client=client, ended_on__isnull=True)
        .select_related("user")
        .order_by("pk")
    )
    reached = []
    for member in members:
        if member.organisation_id == source.organisation_id:
            reached.append((member, True))
            continue
        decision = consent_actions.disclose(
            actor=actor,
            client=client,
            category=category,
            source=source,
            recipient=Party(member.organisation_id, member.user_id),
            purpose=PURPOSE,
            description=description,
            obj=obj,
        )
        reached.append((member, decision.allowed))
    return reached


def _share(actor: Any, response: QuestionnaireResponse) -> list[tuple[CareTeamMember, bool]]:
    """Disclose the new result to the care-team members of other practices, as consent allows."""
    return _disclose_to_team(
        actor,
        client=response.client,
        obj=response,
        category=CATEGORY,
        source=Party(response.organisation_id, response.entered_by_id),
        description=f"{response.instrument_name} result",
    )


def record_response(
    actor: Any,
    client: Client,
    instrument: str | Instrument,
    answers: object,
    sex: str | None = None,
    *,
    source: str,
    idempotency_key: str | uuid.UUID,
    organisation: Organisation,
    entered_at: dt.datetime | None = None,
) -> QuestionnaireResponse:
    """Score and store one questionnaire; return it (the stored one again for a repeated key).

    ``answers`` is one value per item in order (None for a blank). The scorer
    checks them and raises ``ScoringError`` naming the item and the rule. A
    suicide flag (PHQ-9 item 9 above 0; a C-SSRS screener triaged at moderate
    risk, urgent, or high risk, emergency) raises a safety alert to the care team
    through ``tandem.care``. A blank PHQ-9 item 9 asks the clinicians who may read
    the result to follow it up. Sharing with the other practices of the care
    team goes through the consent decision point.
    """
    if source not in ResponseSource.values:
        raise ValueError(f"Unknown source {source!r}.")
    form = instrument if isinstance(instrument, Instrument) else get_instrument(instrument)
    key = str(idempotency_key)
    existing = QuestionnaireResponse.objects.filter(client=client, idempotency_key=key).first()
    if existing is not None:
        return existing
    _check_entry_rights(actor, client, source, organisation)
    result = form.score(answers, sex)
    stored_answers = list(answers) if isinstance(answers, list) else []
    try:
        with transaction.atomic():
            response = QuestionnaireResponse.objects.create(
                client=client,
                instrument=form.code,
                instrument_version=form.version,
                answers=stored_answers,
                sex=sex if form.needs_sex and sex else "",
                total=result.total,
                band=result.band or "",
                positive=result.positive,
                flags=list(result.flags),
                complete=result.complete,
                prorated=result.prorated,
                source=source,
                organisation=organisation,
                entered_by=actor,
                entered_at=entered_at or timezone.now(),
                idempotency_key=key,
            )
            record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=response,
                client=client,
                organisation=organisation,
                detail={"instrument": form.code, "source": source},
            )
            if response.suicide_flag:
                alert = safety.raise_alert(
                    # A record system's entry has been read by nobody: the person it acts
                    # for is told too (a clinician who typed the answers on the form is not).
                    actor=None if source == ResponseSource.EHR else actor,
                    client=client,
                    level=_alert_level(form, stored_answers, result.flags),
                    summary=_alert_summary(form, stored_answers, result.flags, source),
                    steps=(
                        "The client was shown crisis resources (988, 833-773-2445 and 911) on submitting."
                        if source == ResponseSource.PORTAL
                        else ""
                    ),
                    organisation=organisation,
                )
                if alert is not None:
                    response.safety_alert_id = alert.public_id
                    response.save(update_fields=["safety_alert_id"])
            _advance_schedule(client, form.code, response.entered_at)
            reached = _share(actor, response)
            if response.suicide_item_unanswered:
                _ask_for_follow_up(actor, response, reached)
    except IntegrityError:
        # A double click or retry won the race: hand back the one that was stored.
        return QuestionnaireResponse.objects.get(client=client, idempotency_key=key)
    return response


def _ask_for_follow_up(
    actor: Any, response: QuestionnaireResponse, reached: list[tuple[CareTeamMember, bool]]
) -> None:
    """Ask the client's clinicians who may read ``response`` to follow up its blank item 9.

    A blank suicide item is not "Not at all": the total is prorated without it,
    so someone must ask. The note is a link only; a clinician who cannot read
    the result (no release) is not told that it exists.
    """
    clinicians = [
        m.user
        for m, allowed in reached
        if allowed and m.role in CLINICIAN_ROLES and (actor is None or m.user_id != actor.pk)
    ]
    link = reverse("measures:response", kwargs={"response_id": response.public_id})
    notify(
        clinicians,
        NotificationKind.QUESTIONNAIRE_FOLLOW_UP,
        link,
        dedupe_key=f"item9-blank:{response.public_id}",
        about=response.client_id,
    )


# --- Cadence -----------------------------------------------------------------------------


def _reminder_at(schedule: MeasureSchedule) -> dt.datetime:
    zone = schedule.organisation.time_zone or "UTC"
    local = dt.datetime.combine(schedule.next_due, dt.time(REMINDER_HOUR), tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC)


def _plan_reminder(schedule: MeasureSchedule) -> None:
    """Announce the reminder for the schedule's next due date (``tasks`` enqueues it on commit)."""
    signals.due_reminder_planned.send(
        sender=MeasureSchedule,
        schedule_id=schedule.pk,
        version=schedule.version,
        remind_at=_reminder_at(schedule),
    )


def _advance_schedule(client: Client, instrument: str, answered_at: dt.datetime) -> None:
    """Move the client's schedule for ``instrument`` on by its interval after an answer."""
    schedule = (
        MeasureSchedule.objects.select_for_update()
        .select_related("organisation")
        .filter(client=client, instrument=instrument, is_active=True)
        .first()
    )
    if schedule is None:
        return
    schedule.next_due = timezone.localdate(answered_at) + dt.timedelta(days=schedule.every_days)
    schedule.version += 1
    schedule.save(update_fields=["next_due", "version", "updated_at"])
    _plan_reminder(schedule)


@transaction.atomic
def set_schedule(
    *,
    actor: Any,
    client: Client,
    instrument: str,
    every_days: object,
    first_due: dt.date | None = None,
) -> MeasureSchedule:
    """Ask the client to answer ``instrument`` every ``every_days`` days (prescribers set it)."""
    member = seat(actor, client, (Role.PRESCRIBER,))
    if member is None:
        raise Forbidden("Only the client's prescriber sets the measurement cadence.")
    try:
        form = get_instrument(instrument)
    except ScoringError:
        raise ValidationError({"instrument": "Measure: choose one from the list."}) from None
    if not form.texts_shipped:
        raise ValidationError(
            {"instrument": f"{form.name} is administered by a clinician, not sent to the client."}
        )
    try:
        days = int(str(every_days))
    except ValueError:
        raise ValidationError({"every_days": "Every how many days: a whole number."}) from None
    if not MIN_EVERY_DAYS <= days <= MAX_EVERY_DAYS:
        raise ValidationError(
            {"every_days": f"Every how many days: between {MIN_EVERY_DAYS} and {MAX_EVERY_DAYS}."}
        )
    today = timezone.localdate()
    due = first_due or today
    if due < today:
        raise ValidationError({"first_due": "The first due date cannot be in the past."})
    schedule = (
        MeasureSchedule.objects.select_for_update()
        .filter(client=client, instrument=form.code, is_active=True)
        .first()
    )
    if schedule is None:
        schedule = MeasureSchedule.objects.create(
            client=client,
            instrument=form.code,
            every_days=days,
            next_due=due,
            organisation=member.organisation,
            set_by=actor,
        )
        action = AuditAction.CREATE
    else:
        schedule.every_days, schedule.next_due, schedule.set_by = days, due, actor
        schedule.organisation = member.organisation
        schedule.version += 1
        schedule.save()
        action = AuditAction.UPDATE
    record(
        actor=actor,
        action=action,
        obj=schedule,
        client=client,
        organisation=member.organisation,
        detail={"instrument": form.code, "every_days": days},
    )
    _plan_reminder(schedule)
    return schedule


@transaction.atomic
def stop_schedule(*, actor: Any, schedule: MeasureSchedule) -> MeasureSchedule:
    """Stop asking for this measure; pending reminders stand down (the version moves on)."""
    member = seat(actor, schedule.client, (Role.PRESCRIBER,))
    if member is None:
        raise Forbidden("Only the client's prescriber changes the measurement cadence.")
    schedule.is_active = False
    schedule.version += 1
    schedule.save(update_fields=["is_active", "version", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=schedule,
        client=schedule.client,
        organisation=member.organisation,
        detail={"active": False},
    )
    return schedule


# --- Symptom trackers --------------------------------------------------------------------


@transaction.atomic
def define_tracker(
    *, actor: Any, client: Client, name: str, unit: str, lower_is_better: bool = True
) -> SymptomTracker:
    """Define a symptom to count for one client, e.g. "Panic attacks" "per week"."""
    member = seat(actor, client, CLINICIAN_ROLES)
    if member is None:
        raise Forbidden("Only the client's clinicians define symptom trackers.")
    errors: dict[str, str] = {}
    name, unit = name.strip(), unit.strip()
    # Refuse rather than cut a long name: a cut name would also slip past the duplicate check.
    name_max = SymptomTracker._meta.get_field("name").max_length or 0
    unit_max = SymptomTracker._meta.get_field("unit").max_length or 0
    if not name:
        errors["name"] = "Name what is tracked, e.g. “Panic attacks”."
    elif len(name) > name_max:
        errors["name"] = f"Keep the name to {name_max} characters or fewer."
    elif SymptomTracker.objects.filter(client=client, name__iexact=name).exists():
        errors["name"] = "This client already has a tracker of that name."
    if not unit:
        errors["unit"] = "Say what one number means, e.g. “per week”."
    elif len(unit) > unit_max:
        errors["unit"] = f"Keep the unit to {unit_max} characters or fewer."
    if errors:
        raise ValidationError(errors)
    tracker = SymptomTracker.objects.create(
        client=client,
        name=name,
        unit=unit,
        lower_is_better=lower_is_better,
        created_by=actor,
        organisation=member.organisation,
    )
    record(
        actor=actor, action=AuditAction.CREATE, obj=tracker, client=client,
        organisation=member.organisation,
    )  # fmt: skip
    return tracker


@transaction.atomic
def record_symptom(
    *, actor: Any, tracker: SymptomTracker, recorded_on: object, value: object
) -> SymptomEntry:
    """Record the tracker's value for a day; a second value for the same day replaces the first."""
    member = seat(actor, tracker.client, ENTRY_ROLES)
    if member is None:
        raise Forbidden("Only the client's care team records symptom values.")
    errors: dict[str, str] = {}
    try:
        number = Decimal(str(value).strip())
        if not number.is_finite() or number < 0 or number >= Decimal("100000"):
            raise InvalidOperation
    except InvalidOperation:
        errors["value"] = "Value: a number of 0 or more, e.g. 2 or 6.5."
        number = Decimal(0)
    day = recorded_on if isinstance(recorded_on, dt.date) else None
    if day is None:
        try:
            day = dt.date.fromisoformat(str(recorded_on))
        except ValueError:
            errors["recorded_on"] = "Date: a date such as 2026-03-02."
    if day is not None and day > timezone.localdate():
        errors["recorded_on"] = "Date: not in the future."
    if errors:
        raise ValidationError(errors)
    assert day is not None
    entry, created = SymptomEntry.objects.update_or_create(
        tracker=tracker,
        recorded_on=day,
        defaults={"value": number, "entered_by": actor, "organisation": member.organisation},
    )
    record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=entry,
        client=tracker.client,
        organisation=member.organisation,
    )
    return entry


# --- The registry: saved views and case reviews ------------------------------------------


@transaction.atomic
def save_view(*, actor: Any, name: str, query: str) -> SavedView:
    """Save the registry's current filter and sort under ``name`` (replacing one of that name)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the view, e.g. “Not improving”."})
    if len(name) > 60:
        raise ValidationError({"name": "Name: at most 60 characters."})
    view, _ = SavedView.objects.update_or_create(
        user=actor, name=name, defaults={"query": query.lstrip("?")[:500]}
    )
    return view


@transaction.atomic
def delete_view(*, actor: Any, view_id: int) -> None:
    """Delete one of the actor's own saved views (another user's is left alone)."""
    SavedView.objects.filter(user=actor, pk=view_id).delete()


#: A case review is a page of recommendations, not a record dump.
REVIEW_MAX = CASE_REVIEW_MAX


@transaction.atomic
def record_case_review(*, actor: Any, client: Client, recommendations: str) -> CaseReview:
    """Record a case review's recommendations and share them with the client's care team.

    The review is always stored. It goes to the care-team members of other
    practices through the consent decision point as a consultation note (each
    allowed disclosure is recorded in the client's accounting); those it may
    reach are notified (no PHI in the notification).
    """
    member = seat(actor, client, CLINICIAN_ROLES)
    if member is None:
        raise Forbidden("Only the client's clinicians record case reviews.")
    text = recommendations.strip()
    if not text:
        raise ValidationError({"recommendations": "Write the review's recommendations."})
    if len(text) > REVIEW_MAX:
        raise ValidationError(
            {
                "recommendations": f"Recommendations: at most {REVIEW_MAX:,} characters "
                f"(this has {len(text):,})."
            }
        )
    review = CaseReview.objects.create(
        client=client, organisation=member.organisation, reviewed_by=actor, recommendations=text
    )
    record(
        actor=actor, action=AuditAction.CREATE, obj=review, client=client,
        organisation=member.organisation,
    )  # fmt: skip
    reached = _disclose_to_team(
        actor,
        client=client,
        obj=review,
        category=CASE_REVIEW_CATEGORY,
        source=Party(member.organisation_id, actor.pk),
        description="Case review recommendations",
    )
    # Only those who may read the review are told of it: a note pointing at a
    # withheld item would only say that something exists.
    others = [m.user for m, allowed in reached if allowed and m.user_id != actor.pk]
    link = reverse("measures:client", kwargs={"client_id": client.public_id}) + "#reviews"
    notify(others, NotificationKind.GENERAL, link, about=client.pk)
    return review


def remind_due(schedule_id: int, version: int) -> bool:
    """Tell the client a questionnaire is due (the notice names nothing clinical).

    Stands down when the schedule was stopped or changed since (its version
    moved on: the new plan has its own reminder), when the client already
    answered (``next_due`` moved past today), or when they have no portal
    account. A retried task tells the client once (dedupe key). Returns whether
    it told them.
    """
    with transaction.atomic():
        schedule = (
            MeasureSchedule.objects.select_related("client__user")
            .filter(pk=schedule_id, is_active=True, version=version)
            .first()
        )
        if schedule is None or schedule.next_due > timezone.localdate():
            return False
        user = schedule.client.user
        if user is None or not user.is_active:
            return False
        # The portal, not the form: a link naming the instrument (audit-c, pcl-5) would tell
        # anyone who reads the email what the client is being screened for.
        link = reverse("measures:portal")
        sent = notify(
            [user],
            NotificationKind.GENERAL,
            link,
            dedupe_key=f"measure-due:{schedule.pk}:{schedule.version}",
            about=schedule.client_id,
        )
        if sent:
            record(
                actor=None,
                action=AuditAction.CREATE,
                object_type="notifications.notification",
                client=schedule.client,
                organisation=schedule.organisation_id and schedule.organisation,
                detail={"reminder": "measure_due", "schedule": str(schedule.public_id)},
            )
        return bool(sent)
