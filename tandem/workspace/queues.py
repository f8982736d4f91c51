"""The work queues of the home page: what each role must do now, each item a link to do it.

Every queue is read through the access policy (``policy.scope``) and costs the same
whatever the size of the database: one bounded query for the first few items
(``LIMIT``, on indexed filters) and one ``COUNT`` for the true total, so a
caseload of 835 says 835, not the length of a page. Nothing here changes data.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, Q, QuerySet, Window
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tandem.accounts.models import display_name
from tandem.care.checkins.models import CheckInStatus, ProgressCheckIn
from tandem.care.crisis.selectors import AlertRow, open_alerts_to_answer
from tandem.care.notes.models import ConsultNote, DeliveryStatus, NoteDelivery, NoteStatus
from tandem.clients.models import Client
from tandem.consent.models import Release, ReleaseStatus
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.intake.models import IntakeSession
from tandem.notifications.models import Notification, NotificationKind
from tandem.referrals import selectors as referral_selectors
from tandem.referrals.models import INBOX_ORDER, ReferralStatus
from tandem.scheduling.invitations import open_invitations
from tandem.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus

#: Items shown per queue; the count below each says how many there are in all.
LIMIT = 5


@dataclass(frozen=True)
class Item:
    """One thing to do: what, about whom (inside the signed-in app only), and where to do it."""

    label: str
    url: str
    detail: str = ""
    urgent: bool = False


@dataclass
class Queue:
    key: str
    title: str
    items: list[Item]
    total: int
    empty: str
    more_url: str = ""
    more_label: str = ""
    #: Clients this queue names, for the one audit row of the page.
    clients: set[str] = field(default_factory=set)

    @property
    def more(self) -> int:
        """Return how many are not shown here."""
        return max(0, self.total - len(self.items))


def _name(client: Client | None) -> str:
    if client is None:
        return "A new client"
    return f"{client.first_name} {client.last_name}".strip()


def _local(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%a %b %-d, %-I:%M %p")


def _page(qs: QuerySet[Any]) -> tuple[list[Any], int]:
    """Return the first ``LIMIT`` rows and the true total: two bounded queries."""
    return list(qs[:LIMIT]), qs.count()


#: The columns a small queue reads (``Small.values``), in the order of ``Row``'s fields:
#: every queue gives ``_ROW``; of ``_ROW_TEXT`` only those it shows (NULL, read as "",
#: in the others).
_ROW = ("q_pk", "q_public_id", "q_at", "q_client", "q_first", "q_last")
_ROW_TEXT = ("q_pref", "q_full", "q_email", "q_status", "q_type")


@dataclass(frozen=True)
class Row:
    """One item of a small queue, as ``read_together`` reads it (no model instance)."""

    pk: int
    public_id: uuid.UUID
    at: dt.datetime
    client: uuid.UUID | None  # the client's public id (None: a visit booked without a client)
    first_name: str
    last_name: str
    person: str = ""  # ``User.display_name`` of the queue's colleague (prescriber, therapist)
    status: str = ""
    type_name: str = ""

    @property
    def name(self) -> str:
        """Return the client's name as ``_name`` says it."""
        if self.client is None:
            return "A new client"
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class Small:
    """A queue that is small by nature, to be read with others in one statement.

    ``qs`` is its scoped queryset in its order; ``at`` the time each item shows (and
    the first key of that order), ``newest_first`` whether the order is descending;
    ``person``, ``status`` and ``type_name`` the paths of the colleague, the status and
    the appointment type an item shows, when it shows them.
    """

    qs: QuerySet[Any]
    at: str
    newest_first: bool = False
    client: str = "client"
    person: str = ""
    status: str = ""
    type_name: str = ""

    def values(self) -> QuerySet[Any]:
        """Return the first ``LIMIT`` rows as ``_ROW`` (and the texts it has) with the total.

        The total rides on each row as ``COUNT(*) OVER ()``, taken over every matching
        row before the ``LIMIT``; no row means a total of 0. The database reads (and
        joins) every matching row to count them, so only queues of one person's own few
        items are read so (a day's visits, a prescriber's drafts and check-ins of two
        weeks), not the inbox's, which can run to hundreds.
        """
        columns: dict[str, Any] = {
            "q_pk": F("pk"),
            "q_public_id": F("public_id"),
            "q_at": F(self.at),
            "q_client": F(f"{self.client}__public_id"),
            "q_first": F(f"{self.client}__first_name"),
            "q_last": F(f"{self.client}__last_name"),
        }
        if self.person:
            columns |= {
                "q_pref": F(f"{self.person}__preferred_name"),
                "q_full": F(f"{self.person}__full_name"),
                "q_email": F(f"{self.person}__email"),
            }
        if self.status:
            columns["q_status"] = F(self.status)
        if self.type_name:
            columns["q_type"] = F(self.type_name)
        return self.qs.annotate(**columns, queue_total=Window(Count("*"))).values_list(
            *columns, "queue_total"
        )[:LIMIT]


def _uuid(value: Any) -> uuid.UUID | None:
    """Return a UUID column's value as a UUID (SQLite gives its 32 hex digits)."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(value)


def _moment(value: Any) -> dt.datetime:
    """Return a datetime column's value as an aware datetime (SQLite gives UTC text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def read_together(
    queues: Mapping[str, Small], counted: QuerySet[Any] | None = None
) -> tuple[dict[str, tuple[list[Row], int]], int]:
    """Return each small queue's first ``LIMIT`` rows and total, and ``counted``'s count.

    One statement for all of them: each queue's own scoped query, compiled by the ORM
    as ``_page`` would run it (``Small.values``), is one arm of a ``UNION ALL``, and
    ``counted`` (a values query of ids, like the caseload's) is counted in the last
    arm. The rows and totals are those the queries give one by one (compared in
    ``test_queues.py``); only the round trips and Django's per-query work are saved.
    """
    keys = list(queues)
    arms: list[str] = []
    params: list[Any] = []
    alias = None
    for i, key in enumerate(keys):
        small = queues[key]
        qs = small.values()
        alias = qs.db
        try:
            sql, arm_params = qs.query.get_compiler(using=alias).as_sql()
        except EmptyResultSet:  # a rule's ``none()``: nothing to read
            continue
        has = set(qs.query.annotation_select)
        texts = ", ".join(f"q.{c}" if c in has else "NULL" for c in _ROW_TEXT)
        arms.append(
            f"SELECT {i} AS q_kind, {', '.join(f'q.{c}' for c in _ROW)}, {texts}, "  # noqa: S608
            f"q.queue_total FROM ({sql}) q"
        )
        params.extend(arm_params)
    if counted is not None:
        alias = counted.db
        try:
            # As ``count()`` does: no ORDER BY (under DISTINCT it would add its columns).
            sql, arm_params = counted.order_by().query.get_compiler(using=alias).as_sql()
        except EmptyResultSet:
            pass
        else:
            nulls = ", ".join("NULL" for _ in (*_ROW, *_ROW_TEXT))
            # Last: PostgreSQL types a column of NULLs from the arms before it.
            arms.append(f"SELECT {len(keys)} AS q_kind, {nulls}, COUNT(*) FROM ({sql}) counted")  # noqa: S608
            params.extend(arm_params)
    found: dict[str, tuple[list[Row], int]] = {key: ([], 0) for key in keys}
    count = 0
    if not arms:
        return found, count
    assert alias is not None
    with connections[alias].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(arms), params)
        fetched = cursor.fetchall()
    for kind, pk, public_id, at, client, first, last, *texts, total in fetched:
        if kind == len(keys):
            count = int(total)
            continue
        rows, _ = found[keys[kind]]
        pref, full, email, status, type_name = (t or "" for t in texts)
        person = display_name(pref, full, email)
        rows.append(
            Row(
                pk,
                _uuid(public_id),  # type: ignore[arg-type]
                _moment(at),
                _uuid(client),
                first or "",
                last or "",
                person,
                status,
                type_name,
            )
        )
        found[keys[kind]] = (rows, int(total))
    for key in keys:
        # The arms' own ORDER BY does not order the UNION: put each queue back in its order.
        rows = found[key][0]
        rows.sort(key=lambda r: (r.at, r.pk), reverse=queues[key].newest_first)
    return found, count


def _today_bounds() -> tuple[dt.datetime, dt.datetime]:
    now = timezone.localtime()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


# --- Coordinator -----------------------------------------------------------------------


def _practice_org_ids(user: Any, roles: tuple[str, ...]) -> list[int]:
    return [m.organisation_id for m in policy.active_memberships(user) if m.role in roles]


def coordinator_queues(user: Any) -> list[Queue]:
    """Referrals due today or overdue, information requested, clients to schedule, today."""
    _, end_of_today = _today_bounds()
    inbox = referral_selectors.inbox(user)
    # An urgent referral is due now whatever its clock says: one that arrives in the
    # evening is due in working hours tomorrow, and must still head tonight's queue.
    due = inbox.filter(
        Q(due_at__lt=end_of_today) | Q(urgent=True), responded_at__isnull=True
    ).order_by(*INBOX_ORDER)
    rows, total = _page(due)
    now = timezone.now()
    queues = [
        Queue(
            "due",
            "Referrals due today or overdue",
            [
                Item(
                    f"Referral for {r.client.first_name}",
                    reverse("referrals:detail", args=[r.public_id]),
                    ("Overdue since " if r.due_at and r.due_at < now else "Due ")
                    + _local(r.due_at)
                    + (" · urgent" if r.urgent else ""),
                    urgent=bool(r.urgent or (r.due_at and r.due_at < now)),
                )
                for r in rows
            ],
            total,
            "Nothing due today: every new referral has had its first response.",
            reverse("referrals:inbox"),
            "Open the referral inbox",
            {str(r.client.public_id) for r in rows},
        )
    ]
    rows, total = _page(
        inbox.filter(status=ReferralStatus.INFO_REQUESTED).order_by("updated_at", "pk")
    )
    queues.append(
        Queue(
            "info",
            "Waiting on the therapist's answer",
            [
                Item(
                    f"Referral for {r.client.first_name}",
                    reverse("referrals:detail", args=[r.public_id]),
                    f"Asked of {r.therapist.display_name}",
                )
                for r in rows
            ],
            total,
            "No questions are waiting on a therapist.",
            reverse("referrals:inbox"),
            "Open the referral inbox",
            {str(r.client.public_id) for r in rows},
        )
    )
    rows, total = _page(
        inbox.filter(status__in=[ReferralStatus.ACCEPTED, ReferralStatus.NO_SHOW]).order_by(
            "updated_at", "pk"
        )
    )
    queues.append(
        Queue(
            "schedule",
            "Clients to schedule",
            [
                Item(
                    f"Referral for {r.client.first_name}",
                    reverse("scheduling:referral_booking", args=[r.public_id]),
                    "Missed the first visit: book again"
                    if r.status == ReferralStatus.NO_SHOW
                    else "Accepted: invite the client to book, or book for them",
                )
                for r in rows
            ],
            total,
            "Every accepted referral has a visit booked.",
            reverse("referrals:inbox"),
            "Open the referral inbox",
            {str(r.client.public_id) for r in rows},
        )
    )
    org_ids = _practice_org_ids(user, (Role.COORDINATOR,))
    read, _ = read_together({"today": _todays_visits(user, org_ids, None)})
    queues.append(_visits_queue(user, org_ids, None, *read["today"]))
    return queues


def _todays_visits(user: Any, org_ids: list[int], prescriber: Any) -> Small:
    """Return the day's visits at ``org_ids`` (``prescriber``'s only, when given) to read."""
    start, end = _today_bounds()
    qs = (
        policy.scope(user, Action.VIEW, Appointment.objects.all())
        .filter(
            organisation_id__in=org_ids,
            starts_at__gte=start,
            starts_at__lt=end,
            status__in=[*ACTIVE_STATUSES, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW],
        )
        .order_by("starts_at", "pk")
    )
    if prescriber is not None:
        qs = qs.filter(prescriber=prescriber)
    return Small(
        qs, "starts_at", person="prescriber", status="status", type_name="appointment_type__name"
    )


def _visits_queue(
    user: Any, org_ids: list[int], prescriber: Any, rows: list[Row], total: int
) -> Queue:
    calendar = (
        reverse("scheduling:calendar", args=[_org_public_id(user, org_ids[0])]) + "?view=day"
        if org_ids
        else ""
    )
    statuses = dict(AppointmentStatus.choices)
    return Queue(
        "today",
        "Today's visits" if prescriber is not None else "Today's schedule",
        [
            Item(
                f"{timezone.localtime(a.at):%-I:%M %p} {a.name}",
                reverse("scheduling:appointment", args=[a.public_id]),
                f"{a.type_name}"
                + ("" if prescriber is not None else f" with {a.person}")
                + f" · {statuses.get(a.status, a.status)}",
            )
            for a in rows
        ],
        total,
        "No visits today.",
        calendar,
        "Open the calendar",
        {str(a.client) for a in rows if a.client is not None},
    )


def _org_public_id(user: Any, org_id: int) -> Any:
    return next(
        m.organisation.public_id
        for m in policy.active_memberships(user)
        if m.organisation_id == org_id
    )


# --- Prescriber ------------------------------------------------------------------------


def prescriber_queues(
    user: Any,
    alert_rows: list[AlertRow] | None = None,
    *,
    caseload: QuerySet[Any] | None = None,
) -> tuple[list[Queue], int]:
    """Today's visits, unsigned notes, open alerts, the registry's off-target clients, check-ins.

    ``alert_rows``: the user's open alerts when the page already read them
    (``crisis.selectors.open_alert_rows``, shared with the banner). ``caseload``: a
    values query of the caseload's ids, counted in the same statement as the small
    queues (``read_together``); the count is returned beside the queues (0 without it).
    """
    org_ids = _practice_org_ids(user, (Role.PRESCRIBER,))
    since = timezone.now() - dt.timedelta(days=14)
    read, caseload_count = read_together(
        {
            "today": _todays_visits(user, org_ids, user),
            "unsigned": Small(
                policy.scope(user, Action.VIEW, ConsultNote.objects.all())
                .filter(author=user, status=NoteStatus.DRAFT)
                .order_by("created_at", "pk"),
                "created_at",
            ),
            "answered": Small(
                policy.scope(user, Action.VIEW, ProgressCheckIn.objects.all())
                .filter(requested_by=user, status=CheckInStatus.ANSWERED, answered_at__gte=since)
                .order_by("-answered_at", "-pk"),
                "answered_at",
                newest_first=True,
                person="therapist",
            ),
        },
        caseload,
    )
    queues = [_visits_queue(user, org_ids, user, *read["today"])]
    rows, total = read["unsigned"]
    queues.append(
        Queue(
            "unsigned",
            "Consult notes to sign",
            [
                Item(
                    f"Consult note for {n.name}",
                    reverse("care:note_edit", args=[n.public_id]),
                    f"Draft started {_local(n.at)}",
                )
                for n in rows
            ],
            total,
            "No unsigned notes.",
            clients={str(n.client) for n in rows},
        )
    )
    alerts, more = open_alerts_to_answer(user, where="home queue", rows=alert_rows)
    queues.append(
        Queue(
            "alerts",
            "Open safety alerts",
            [
                Item(
                    f"Alert for {a.client}" if a.client else f"Alert {a.reference}",
                    a.url,
                    a.level,
                    urgent=True,
                )
                for a in alerts
            ],
            # The alert query is bounded; "more" says there are others beyond those shown.
            len(alerts) + (1 if more else 0),
            "No open safety alerts.",
        )
    )
    queues.append(
        Queue(
            "registry",
            "Clients off target",
            [
                Item(
                    "Not improving: bring to case review",
                    reverse("measures:registry") + "?flag=not_improving",
                ),
                Item("Measure overdue", reverse("measures:registry") + "?flag=overdue"),
                Item("Safety flag or open alert", reverse("measures:registry") + "?flag=safety"),
            ],
            3,
            "",
        )
    )
    rows, total = read["answered"]
    queues.append(
        Queue(
            "answered",
            "Check-ins answered (last 14 days)",
            [
                Item(
                    f"Progress update on {c.name}",
                    reverse("care:checkin", args=[c.public_id]),
                    f"From {c.person}, {_local(c.at)}",
                )
                for c in rows
            ],
            total,
            "No check-ins answered in the last two weeks.",
            clients={str(c.client) for c in rows},
        )
    )
    return queues, caseload_count


# --- Therapist -------------------------------------------------------------------------


def therapist_queues(user: Any) -> list[Queue]:
    """Referrals waiting on them, notes and medication changes to read, check-ins due."""
    rows, total = _page(
        referral_selectors.tracker(user)
        .filter(status__in=[ReferralStatus.INFO_REQUESTED, ReferralStatus.DRAFT])
        .order_by("status", "updated_at", "pk")
    )
    queues = [
        Queue(
            "referrals",
            "Referrals waiting on you",
            [
                Item(
                    f"Referral for {_name(r.client)} to {r.to_organisation.name}",
                    reverse("referrals:detail", args=[r.public_id]),
                    "The practice asked a question: answer it"
                    if r.status == ReferralStatus.INFO_REQUESTED
                    else "Draft: finish and send it",
                    urgent=r.status == ReferralStatus.INFO_REQUESTED,
                )
                for r in rows
            ],
            total,
            "No referral is waiting on you.",
            reverse("referrals:tracker"),
            "Open your referrals",
            {str(r.client.public_id) for r in rows},
        )
    ]
    rows, total = _page(
        NoteDelivery.objects.filter(
            recipient=user,
            status=DeliveryStatus.DELIVERED,
            acknowledged_at__isnull=True,
            note__in=policy.scope(user, Action.VIEW, ConsultNote.objects.all()),
        )
        .select_related("note__client", "note__author")
        .order_by("decided_at", "pk")
    )
    queues.append(
        Queue(
            "notes",
            "New consult notes to read",
            [
                Item(
                    f"Consult note for {_name(d.note.client)}",
                    reverse("care:note", args=[d.note.public_id]),
                    f"From {d.note.author.display_name}, {_local(d.decided_at)}",
                )
                for d in rows
            ],
            total,
            "No new consult notes.",
            clients={str(d.note.client.public_id) for d in rows},
        )
    )
    rows, total = _page(
        Notification.objects.filter(
            recipient=user, kind=NotificationKind.MEDICATION_UPDATE, read_at__isnull=True
        ).order_by("-created_at", "-pk")
    )
    queues.append(
        Queue(
            "medications",
            "Medication changes to read",
            [
                Item(
                    n.get_kind_display(),
                    reverse("notifications:open", args=[n.public_id]),
                    _local(n.created_at),
                )
                for n in rows
            ],
            total,
            "No new medication changes.",
            reverse("notifications:list"),
            "All notifications",
        )
    )
    rows, total = _page(
        policy.scope(user, Action.VIEW, ProgressCheckIn.objects.all())
        .filter(therapist=user, status=CheckInStatus.REQUESTED)
        .select_related("client")
        .order_by("answer_by", "pk")
    )
    now = timezone.now()
    queues.append(
        Queue(
            "checkins",
            "Check-ins due",
            [
                Item(
                    f"Progress check-in on {_name(c.client)}",
                    reverse("care:checkin", args=[c.public_id]),
                    ("Overdue since " if c.answer_by and c.answer_by < now else "Answer by ")
                    + _local(c.answer_by),
                    urgent=bool(c.answer_by and c.answer_by < now),
                )
                for c in rows
            ],
            total,
            "No check-ins are waiting for you.",
            clients={str(c.client.public_id) for c in rows},
        )
    )
    return queues


# --- Client ----------------------------------------------------------------------------


@dataclass
class ClientHome:
    next_visit: Appointment | None
    todo: list[Item]


def client_home(user: Any, client: Client | None) -> ClientHome:
    """The client's next visit and what to do next: sign, book, answer."""
    if client is None:
        return ClientHome(None, [])
    now = timezone.now()
    visit = (
        policy.scope(user, Action.VIEW, Appointment.objects.all())
        .filter(client=client, status__in=ACTIVE_STATUSES, ends_at__gte=now)
        .select_related("organisation", "prescriber", "appointment_type")
        .order_by("starts_at", "pk")
        .first()
    )
    todo = [
        Item(
            "Sign a release",
            reverse("consent:sign", args=[r.public_id]),
            "A practice asks your permission to share information with your care team.",
            urgent=True,
        )
        for r in Release.objects.filter(client=client, status=ReleaseStatus.DRAFT).order_by(
            "prepared_at", "pk"
        )[:LIMIT]
    ]
    invitations = open_invitations(user)
    for invitation in invitations:
        todo.append(
            Item(
                f"Book your first visit with {invitation.organisation.name}",
                reverse("scheduling:book", args=[invitation.organisation.public_id]),
                "Your referral was accepted: choose a time that suits you.",
                urgent=True,
            )
        )
    invited = {i.organisation_id for i in invitations}
    if visit is None:
        # Back to booking after the intake bot and the emailed link: a practice whose
        # questions they answered and whose time they have not chosen yet.
        for session in (
            policy.scope(user, Action.VIEW, IntakeSession.objects.all())
            .filter(verified_at__isnull=False)
            .exclude(organisation_id__in=invited)
            .select_related("organisation")
            .order_by("-created_at", "-pk")[:LIMIT]
        ):
            todo.append(
                Item(
                    f"Choose a time with {session.organisation.name}",
                    reverse("scheduling:book", args=[session.organisation.public_id]),
                    "You answered the practice's questions: pick your first visit.",
                    urgent=True,
                )
            )
    if visit is not None and visit.status == AppointmentStatus.HELD:
        todo.append(
            Item(
                "Finish booking the time held for you",
                reverse("scheduling:pay", args=[visit.public_id]),
                "The hold runs out soon.",
                urgent=True,
            )
        )
    todo.append(
        Item(
            "Answer your questionnaires",
            reverse("measures:portal"),
            "Short check-ins your care team asked for.",
        )
    )
    return ClientHome(visit, todo)
