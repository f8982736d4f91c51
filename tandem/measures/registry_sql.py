"""The registry's per-caseload reads, written as SQL: score ends, cadences, contacts, alerts,
and the caseload's page in score order.

``selectors.fill_scores`` runs each of these once per page, over up to a whole
caseload. Built through the ORM, the four cost ~10 ms of Python a page (each id list
compiled, prepared and sent one parameter per id, the score ends' grouped subqueries
planned three times); here each is a fixed text with the client ids as one parameter
(a PostgreSQL array, or a JSON list that SQLite reads with ``json_each``), so the same
statements run on both databases and PostgreSQL sees a short query whatever the size
of the caseload. ``tests/test_registry_sql.py`` compares every read with the ORM
query it replaced.

The score ends are one pass over the clients' scored responses of the measure: each
(client, practice, author) series numbered in time order, its first (number 1) and its
last (no next response in the series) kept (a response without an author is kept
whatever its place, as the registry always took every one of them). Numbering and the
next response share one window, so PostgreSQL computes both in one window step; a
``COUNT(*)`` of the series to find the last one was a second step over every score, ~2
ms more. On the full network (460 clients, 6,440 scores) that is ~7 ms of SQL, against
~25 ms for the grouped series with one ``LIMIT 1`` per end and, with the ids as a list,
a JIT-compiled plan of ~250 ms.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
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


def score_ends_sql(measure: str, client_ids: Collection[int]) -> tuple[str, list[Any]]:
    """Return ``score_ends``'s statement and parameters (the query plan test reads its plan)."""
    among, ids = _among("client_id", client_ids)
    sql = f"""
        SELECT id, client_id, organisation_id, entered_by_id, total, entered_at, flags
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


def score_ends(measure: str, client_ids: Collection[int]) -> list[ScoreEnd]:
    """Return the first and last scored response of each (client, practice, author) series.

    Each as ``(id, client id, practice id, author id, total, entered at, flags)``, in no
    particular order; every scored response without an author is returned (a series of
    its own in ``fill_scores``, which orders them). The responses of ``measure`` with a
    total, of ``client_ids`` only.
    """
    if not client_ids:
        return []
    sql, params = score_ends_sql(measure, client_ids)
    return [
        (
            pk,
            client_id,
            org_id,
            author_id,
            total,
            _moment(at),
            _flags(flags),
        )
        for pk, client_id, org_id, author_id, total, at, flags in _run(sql, params)
    ]


def active_schedules(
    client_ids: Collection[int],
) -> list[tuple[int, str, dt.date, int, int | None]]:
    """Return ``(client id, instrument, next due, practice id, set by)`` of active cadences."""
    if not client_ids:
        return []
    among, ids = _among("client_id", client_ids)
    sql = f"""
        SELECT client_id, instrument, next_due, organisation_id, set_by_id
        FROM {MeasureSchedule._meta.db_table}
        WHERE is_active AND {among}
    """  # noqa: S608 - table names from the models; every value a parameter
    return [
        (client_id, instrument, _day(due), org_id, set_by_id)
        for client_id, instrument, due, org_id, set_by_id in _run(sql, [ids])
    ]


def last_contacts(
    client_ids: Collection[int], org_ids: Collection[int]
) -> list[tuple[int, dt.datetime]]:
    """Return ``(client id, moment)``: each client's latest response, symptom entry and
    completed visit recorded by one of ``org_ids`` (up to three rows a client).

    The latest response is one step down the client's timeline index from its newest
    end (``measures_resp_timeline_idx``), a client at a time: grouping the responses of
    the practice and the clients read every response of the clients (and the practice's
    index: ~37,000 entries at the full network) to keep one a client, ~2 ms for a page
    of 100 against ~0.6.
    """
    if not client_ids or not org_ids:
        return []
    clients, response_ids = _each(client_ids)
    response_orgs, response_org_ids = _among("r.organisation_id", org_ids)
    entries, entry_ids = _among("t.client_id", client_ids)
    entry_orgs, entry_org_ids = _among("e.organisation_id", org_ids)
    visits, visit_ids = _among("client_id", client_ids)
    visit_orgs, visit_org_ids = _among("organisation_id", org_ids)
    sql = f"""
        SELECT c.id, (
            SELECT r.entered_at FROM {QuestionnaireResponse._meta.db_table} r
            WHERE r.client_id = c.id AND {response_orgs} ORDER BY r.entered_at DESC LIMIT 1
        ) FROM {clients}
        UNION ALL
        SELECT t.client_id, MAX(e.entered_at)
        FROM {SymptomEntry._meta.db_table} e
        JOIN {SymptomTracker._meta.db_table} t ON t.id = e.tracker_id
        WHERE {entries} AND {entry_orgs} GROUP BY t.client_id
        UNION ALL
        SELECT client_id, MAX(starts_at) FROM {Appointment._meta.db_table}
        WHERE {visits} AND {visit_orgs} AND status = %s GROUP BY client_id
    """  # noqa: S608 - table names from the models; every value a parameter
    params = [response_org_ids, response_ids, entry_ids, entry_org_ids, visit_ids, visit_org_ids]
    return [
        (client_id, _moment(at))
        for client_id, at in _run(sql, [*params, AppointmentStatus.COMPLETED.value])
        if at is not None
    ]


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


def open_alert_counts(client_ids: Collection[int]) -> dict[int, int]:
    """Return {client id: number of safety alerts not yet resolved}, from any practice."""
    if not client_ids:
        return {}
    among, ids = _among("client_id", client_ids)
    sql = f"""
        SELECT client_id, COUNT(*) FROM {SafetyAlert._meta.db_table}
        WHERE {among} AND status <> %s GROUP BY client_id
    """  # noqa: S608 - table names from the models; every value a parameter
    return dict(_run(sql, [ids, AlertStatus.RESOLVED.value]))
