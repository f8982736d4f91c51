"""The registry's per-caseload reads, written as SQL: score ends, cadences, contacts, alerts,
and the caseload's page in score order.

``selectors.fill_scores`` reads the parts it fills (of the four) once per call, over up
to a whole caseload, as one statement (``read``: each part's statement an arm of one
``UNION ALL``, one round trip instead of four). Built through the ORM, the four cost
~10 ms of Python a page (each id list compiled, prepared and sent one parameter per id,
the score ends' grouped subqueries planned three times); here each is a fixed text with
the client ids as one parameter (a PostgreSQL array, or a JSON list that SQLite reads
with ``json_each``), so the same statements run on both databases and PostgreSQL sees a
short query whatever the size of the caseload. ``tests/test_registry_sql.py`` compares
every read with the ORM query it replaced, and the parts read together with each part
read alone.

The score ends are one pass over the clients' scored responses of the measure: each
(client, practice, author) series numbered in time order, its first (number 1) and its
last (no next response in the series) kept (a response without an author is kept
whatever its place, as the registry always took every one of them). Numbering and the
next response share one window, so PostgreSQL computes both in one window step; a
``COUNT(*)`` of the series to find the last one was a second step over every score, ~2
ms more. On the full network (460 clients, 6,440 scores) that is ~7 ms of SQL, against
~25 ms for the grouped series with one ``LIMIT 1`` per end and, with the ids as a list,
a JIT-compiled plan of ~250 ms. The index ``measures_resp_scores_idx`` carries every
value read of a score, so neither these reads nor ``by_score``'s read a response row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_date, parse_datetime

from tandem.care.crisis.models import AlertStatus, SafetyAlert
from tandem.clients.models import Client
from tandem.measures.models import (
    MeasureSchedule,
    QuestionnaireResponse,
    SymptomEntry,
    SymptomTracker,
)
from tandem.scheduling.models import Appointment, AppointmentStatus

ScoreEnd = tuple[int, int, int, int | None, int, dt.datetime, tuple[str, ...]]


def _among(column: str, ids: Collection[int]) -> tuple[str, Any]:
    """Return a condition that ``column`` is one of ``ids``, and its one parameter."""
    if connection.vendor == "postgresql":
        # The array's text ('{1,2,3}'), cast in SQL: the driver sends one short string
        # instead of adapting a list of hundreds of ints one by one.
        return f"{column} = ANY(%s::bigint[])", "{" + ",".join(str(int(i)) for i in ids) + "}"
    return f"{column} IN (SELECT value FROM json_each(%s))", json.dumps(list(ids))  # noqa: S608


def _each(ids: Collection[int]) -> tuple[str, Any]:
    """Return a table ``c`` of ``ids`` (one column, ``id``) to select from, and its one parameter."""
    if connection.vendor == "postgresql":
        return "unnest(%s::bigint[]) AS c (id)", "{" + ",".join(str(int(i)) for i in ids) + "}"
    return "(SELECT value AS id FROM json_each(%s)) AS c", json.dumps(list(ids))


def _moment(value: Any) -> dt.datetime:
    """Return a datetime column's value as an aware datetime (SQLite gives UTC text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _day(value: Any) -> dt.date:
    day = parse_date(value) if isinstance(value, str) else value
    assert isinstance(day, dt.date)
    return day


def _flags(value: Any) -> tuple[str, ...]:
    """Return a JSON list column's value as a tuple (most scores have none: no decoding)."""
    if value == "[]" or not value:
        return ()
    return tuple(json.loads(value) if isinstance(value, str) else value)


def _run(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


#: ``read``'s statement: one arm (or three, the contacts) per part, each row led by its
#: part's number and laid out as ``(part, client id, response id, practice id, author id,
#: total or count, moment, day, instrument, flags)``, the columns a part leaves out NULL
#: (typed: PostgreSQL types a UNION's columns pair by pair, and NULL alone would be text).
_SCORES, _SCHEDULES, _CONTACTS, _ALERTS = range(4)
_ID, _AT, _DAY, _LABEL, _JSON = (
    f"CAST(NULL AS {name})" for name in ("BIGINT", "TIMESTAMPTZ", "DATE", "VARCHAR", "JSONB")
)


def score_ends_sql(measure: str, client_ids: Collection[int]) -> tuple[str, list[Any]]:
    """Return the score ends' arm of ``read`` and its parameters (the query plan test reads
    its plan)."""
    among, ids = _among("client_id", client_ids)
    sql = f"""
        SELECT {_SCORES}, client_id, id, organisation_id, entered_by_id, total, entered_at,
            {_DAY}, {_LABEL}, flags
        FROM (
            SELECT id, client_id, organisation_id, entered_by_id, total, entered_at, flags,
                ROW_NUMBER() OVER series_order AS place,
                LEAD(id) OVER series_order AS next_id
            FROM {QuestionnaireResponse._meta.db_table}
            WHERE instrument = %s AND total IS NOT NULL AND {among}
            WINDOW series_order AS (
                PARTITION BY client_id, organisation_id, entered_by_id ORDER BY entered_at, id
            )
        ) series
        WHERE place = 1 OR next_id IS NULL OR entered_by_id IS NULL
    """  # noqa: S608 - table names from the models; every value a parameter
    return sql, [measure, ids]


def _schedules_sql(client_ids: Collection[int]) -> tuple[str, list[Any]]:
    among, ids = _among("client_id", client_ids)
    sql = f"""
        SELECT {_SCHEDULES}, client_id, {_ID}, organisation_id, set_by_id, {_ID}, {_AT},
            next_due, instrument, {_JSON}
        FROM {MeasureSchedule._meta.db_table}
        WHERE is_active AND {among}
    """  # noqa: S608 - table names from the models; every value a parameter
    return sql, [ids]


def _contacts_sql(client_ids: Collection[int], org_ids: Collection[int]) -> tuple[str, list[Any]]:
    """The latest response is one step down the client's timeline index from its newest
    end (``measures_resp_timeline_idx``), a client at a time: grouping the responses of
    the practice and the clients read every response of the clients (and the practice's
    index: ~37,000 entries at the full network) to keep one a client, ~2 ms for a page
    of 100 against ~0.6."""
    clients, response_ids = _each(client_ids)
    response_orgs, response_org_ids = _among("r.organisation_id", org_ids)
    entries, entry_ids = _among("t.client_id", client_ids)
    entry_orgs, entry_org_ids = _among("e.organisation_id", org_ids)
    visits, visit_ids = _among("client_id", client_ids)
    visit_orgs, visit_org_ids = _among("organisation_id", org_ids)
    empty = f"{_ID}, {_ID}, {_ID}, {_ID}"
    rest = f"{_DAY}, {_LABEL}, {_JSON}"
    sql = f"""
        SELECT {_CONTACTS}, c.id, {empty}, (
            SELECT r.entered_at FROM {QuestionnaireResponse._meta.db_table} r
            WHERE r.client_id = c.id AND {response_orgs} ORDER BY r.entered_at DESC LIMIT 1
        ), {rest} FROM {clients}
        UNION ALL
        SELECT {_CONTACTS}, t.client_id, {empty}, MAX(e.entered_at), {rest}
        FROM {SymptomEntry._meta.db_table} e
        JOIN {SymptomTracker._meta.db_table} t ON t.id = e.tracker_id
        WHERE {entries} AND {entry_orgs} GROUP BY t.client_id
        UNION ALL
        SELECT {_CONTACTS}, client_id, {empty}, MAX(starts_at), {rest}
        FROM {Appointment._meta.db_table}
        WHERE {visits} AND {visit_orgs} AND status = %s GROUP BY client_id
    """  # noqa: S608 - table names from the models; every value a parameter
    params = [response_org_ids, response_ids, entry_ids, entry_org_ids, visit_ids, visit_org_ids]
    return sql, [*params, AppointmentStatus.COMPLETED.value]


def _alerts_sql(client_ids: Collection[int]) -> tuple[str, list[Any]]:
    among, ids = _among("client_id", client_ids)
    sql = f"""
        SELECT {_ALERTS}, client_id, {_ID}, {_ID}, {_ID}, COUNT(*), {_AT}, {_DAY}, {_LABEL},
            {_JSON}
        FROM {SafetyAlert._meta.db_table}
        WHERE {among} AND status <> %s GROUP BY client_id
    """  # noqa: S608 - table names from the models; every value a parameter
    return sql, [ids, AlertStatus.RESOLVED.value]


@dataclass
class Read:
    """What ``read`` found, by part (each as the function of that part's name returns it)."""

    ends: list[ScoreEnd] = field(default_factory=list)
    schedules: list[tuple[int, str, dt.date, int, int | None]] = field(default_factory=list)
    contacts: list[tuple[int, dt.datetime]] = field(default_factory=list)
    alerts: dict[int, int] = field(default_factory=dict)


def read(
    measure: str, client_ids: Collection[int], org_ids: Collection[int], parts: Collection[str]
) -> Read:
    """Return the ``parts`` (of ``registry.PARTS``) of ``client_ids``' rows, in one statement.

    "scores": ``score_ends(measure, ...)``; "schedules": ``active_schedules``;
    "contacts": ``last_contacts(..., org_ids)``; "alerts": ``open_alert_counts``. Each
    part's statement is an arm of one ``UNION ALL`` (one round trip, one statement to
    plan and log, instead of up to four); none when there is nothing to read.
    """
    found = Read()
    arms = []
    if client_ids:
        if "scores" in parts:
            arms.append(score_ends_sql(measure, client_ids))
        if "schedules" in parts:
            arms.append(_schedules_sql(client_ids))
        if "contacts" in parts and org_ids:
            arms.append(_contacts_sql(client_ids, org_ids))
        if "alerts" in parts:
            arms.append(_alerts_sql(client_ids))
    if not arms:
        return found
    sql = "UNION ALL".join(arm for arm, _ in arms)
    for part, client_id, pk, org_id, author_id, number, at, day, label, flags in _run(
        sql, [value for _, params in arms for value in params]
    ):
        if part == _SCORES:
            found.ends.append(
                (pk, client_id, org_id, author_id, number, _moment(at), _flags(flags))
            )
        elif part == _SCHEDULES:
            found.schedules.append((client_id, label, _day(day), org_id, author_id))
        elif part == _CONTACTS:
            if at is not None:
                found.contacts.append((client_id, _moment(at)))
        else:
            found.alerts[client_id] = number
    return found


def score_ends(measure: str, client_ids: Collection[int]) -> list[ScoreEnd]:
    """Return the first and last scored response of each (client, practice, author) series.

    Each as ``(id, client id, practice id, author id, total, entered at, flags)``, in no
    particular order; every scored response without an author is returned (a series of
    its own in ``fill_scores``, which orders them). The responses of ``measure`` with a
    total, of ``client_ids`` only.
    """
    return read(measure, client_ids, (), {"scores"}).ends


def active_schedules(
    client_ids: Collection[int],
) -> list[tuple[int, str, dt.date, int, int | None]]:
    """Return ``(client id, instrument, next due, practice id, set by)`` of active cadences."""
    return read("", client_ids, (), {"schedules"}).schedules


def last_contacts(
    client_ids: Collection[int], org_ids: Collection[int]
) -> list[tuple[int, dt.datetime]]:
    """Return ``(client id, moment)``: each client's latest response, symptom entry and
    completed visit recorded by one of ``org_ids`` (up to three rows a client)."""
    return read("", client_ids, org_ids, {"contacts"}).contacts


def open_alert_counts(client_ids: Collection[int]) -> dict[int, int]:
    """Return {client id: number of safety alerts not yet resolved}, from any practice."""
    return read("", client_ids, (), {"alerts"}).alerts


#: The registry's sorts that ``by_score_sql`` orders in SQL: the end of the series each
#: reads (the client's last or first score), by its key in ``registry.SORTS``.
SCORE_SORTS = {"latest": "last", "baseline": "first"}


def by_score_sql(
    caseload: tuple[str, tuple[Any, ...]], measure: str, sort: str, *, offset: int, limit: int
) -> tuple[str, list[Any]]:
    """Return a page of ``caseload`` ordered by each client's first or last score, counted.

    ``caseload`` is a compiled query of ``(id, public id, last name, first name, viewer's
    practice)`` per client (``selectors.registry_by_name`` without its order); ``sort`` is
    ``"latest"``/``"baseline"``, ``"-"`` in front for descending. Each entry is those five
    values, then the number of clients in all and the number of those with a scored
    response of ``measure`` from a practice other than the viewer's (whose scores the
    consent gate decides on: when there is any, this order is not the one the viewer sees,
    and ``views._page`` sorts in Python instead).

    The order is ``registry.sort_rows``'s on the scores as they are when every score is
    the viewer's practice's (the client's last or first scored response, in time, ties by
    id): clients with a score by it (ascending or descending, ties by client id, as the
    stable sort of the id-ordered rows leaves them), then those without, by lower-cased
    last then first name and id (as the by-name order: ``selectors._name_key``).
    """
    descending = sort.startswith("-")
    direction = "DESC" if descending else "ASC"
    newest = SCORE_SORTS[sort.lstrip("-")] == "last"
    end = "r.entered_at DESC, r.id DESC" if newest else "r.entered_at, r.id"
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    responses = QuestionnaireResponse._meta.db_table
    caseload_sql, caseload_params = caseload
    # A query with window functions is not pulled up into the one around it (PostgreSQL),
    # so each is computed once a client: the viewer's practice (the caseload's subquery)
    # in ``counted``, the score in ``scored`` (not once more for each ORDER BY term).
    sql = f"""
        WITH c (id, public_id, last_name, first_name, viewer_org_id) AS ({caseload_sql})
        SELECT id, public_id, last_name, first_name, viewer_org_id, total, others
        FROM (
            SELECT counted.*,
                (SELECT r.total FROM {responses} r
                 WHERE r.client_id = counted.id AND r.instrument = %s AND r.total IS NOT NULL
                 ORDER BY {end} LIMIT 1) AS score,
                SUM(CASE WHEN EXISTS (
                    SELECT 1 FROM {responses} r
                    WHERE r.client_id = counted.id AND r.instrument = %s
                        AND r.total IS NOT NULL AND r.organisation_id <> counted.viewer_org_id
                ) THEN 1 ELSE 0 END) OVER () AS others
            FROM (SELECT c.*, COUNT(*) OVER () AS total FROM c) counted
        ) scored
        ORDER BY score IS NULL, score {direction},
            CASE WHEN score IS NULL THEN LOWER(last_name){collate} END,
            CASE WHEN score IS NULL THEN LOWER(first_name){collate} END,
            id
        LIMIT %s OFFSET %s
    """  # noqa: S608 - table names from the models, the caseload compiled by the ORM
    return sql, [*caseload_params, measure, measure, limit, offset]


def by_score(
    caseload: tuple[str, tuple[Any, ...]], measure: str, sort: str, *, offset: int, limit: int
) -> list[tuple[Any, ...]]:
    """Return ``by_score_sql``'s entries (none past the last client), public ids as UUIDs."""
    sql, params = by_score_sql(caseload, measure, sort, offset=offset, limit=limit)
    uuid = Client._meta.get_field("public_id").to_python  # SQLite gives the hex text
    return [
        (pk, uuid(public_id), last, first, org_id, int(total), int(others))
        for pk, public_id, last, first, org_id, total, others in _run(sql, params)
    ]
