"""The client's shared timeline, composed from providers that the apps register.

Each app that puts items on a client's timeline owns a small ``timeline.py``
with a *provider*: a function that takes a ``Query`` (the client, the viewer's
consent gate, the kinds wanted) and returns that app's items as the viewer may
see them. The app registers it in its ``AppConfig.ready()`` with the kinds it
supplies, and where each kind's rows are. ``compose`` asks, in the order of ``Kind``,
only the providers of the kinds wanted that the client has rows of (one query finds
which), so a filtered page runs only their queries; it knows no app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, models
from django.db.models import Expression, Q, QuerySet

from tandem.core.cursors import seal, unseal


class Kind(models.TextChoices):
    """The kinds of item, in the order the timeline's filter lists them."""

    REFERRAL = "referral", "Referral"
    APPOINTMENT = "appointment", "Appointments"
    CONSULT_NOTE = "consult_note", "Consultation notes"
    MEDICATION = "medication", "Medications"
    CHECKIN = "checkin", "Progress check-ins"
    MESSAGE = "message", "Messages"
    SAFETY = "safety", "Safety alerts"
    QUESTIONNAIRE = "questionnaire", "Questionnaire results"
    CASE_REVIEW = "case_review", "Case reviews"


class Judgement(Protocol):
    """What the timeline needs of a consent decision (``tandem.consent.decision.Decision``)."""

    @property
    def allowed(self) -> bool: ...

    @property
    def withheld_label(self) -> str: ...


class Gate(Protocol):
    """The viewer's consent gate (``tandem.consent.timeline.Gate``), as providers use it."""

    viewer: Any
    viewer_org_id: int | None

    def __call__(
        self,
        category: str,
        org_id: int,
        author_id: int | None,
        *,
        obj: Any = None,
        description: str = "",
    ) -> Any: ...


@dataclass
class Item:
    """One line of the timeline as one viewer may see it."""

    kind: str
    at: dt.datetime
    title: str
    reference: str = ""
    by: str = ""
    decision: Any = None  # a Judgement; None for the viewer's own organisation's items
    lines: list[tuple[str, str]] = field(default_factory=list)
    link: str = ""
    #: The record shown, where the page shows it under another basis than ``decision``
    #: (a safety alert's serious-threat showing): a page accounts what it shows by either.
    obj: Any = None
    #: The row's primary key in its kind's table: with ``at`` and ``kind``, the item's
    #: place in the timeline's one total order (``sort_key``), which pages are cut by.
    pk: int = 0

    @property
    def shown(self) -> bool:
        return self.decision is None or bool(self.decision.allowed)

    @property
    def withheld_label(self) -> str:
        return "" if self.shown or self.decision is None else str(self.decision.withheld_label)

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label


def kind_rank(kind: str) -> int:
    """Return ``kind``'s place in ``Kind`` (items at the same moment come in this order)."""
    return _RANK.get(kind, len(_RANK))


_RANK = {kind: index for index, kind in enumerate(Kind.values)}


def sort_key(item: Item) -> tuple[dt.datetime, int, int]:
    """The timeline's one total order, newest first when sorted with ``reverse=True``.

    Newest first, then items at the same moment in ``Kind`` order, then the newer row
    (higher primary key) of a kind first. Pages are cut by a cursor in this order.
    """
    return (item.at, -kind_rank(item.kind), item.pk)


@dataclass(frozen=True)
class Cursor:
    """A place in the timeline: an item's (time, kind, row id), and which way the page reads.

    ``older`` True: the page holds the items after this one (the "Older" link);
    False: the items before it (the "Newer" link). In a URL it travels as ``token()``,
    encrypted: the time of an item of care is health information, and no URL carries it.
    """

    at: dt.datetime
    kind: str
    pk: int
    older: bool = True

    @classmethod
    def of(cls, item: Item, *, older: bool) -> Cursor:
        return cls(item.at, item.kind, item.pk, older)

    def token(self) -> str:
        """Return the cursor as an opaque, URL-safe token."""
        return seal("timeline", [self.at.isoformat(), self.kind, self.pk, int(self.older)])

    @classmethod
    def parse(cls, token: str) -> Cursor | None:
        """Return the cursor a ``token()`` holds; None for anything else (a first page)."""
        values = unseal("timeline", token)
        if values is None or len(values) != 4:
            return None
        try:
            at, kind, pk, older = values
            cursor = cls(dt.datetime.fromisoformat(at), str(kind), int(pk), bool(older))
        except (ValueError, TypeError):
            return None
        return cursor if cursor.kind in _RANK and cursor.at.tzinfo is not None else None

    def beyond(self, kind: str, at: str | Expression) -> Q:
        """Return the condition on a ``kind`` provider's rows that puts them past this cursor.

        Past is older for an "Older" page, newer for a "Newer" one, in ``sort_key``'s
        order. Each condition leads with a range on the time, so the (client, time)
        index bounds the rows read.
        """
        field = "timeline_at" if not isinstance(at, str) else at
        rank, mine = kind_rank(self.kind), kind_rank(kind)
        if self.older:
            if mine > rank:  # same moment, later kind: still older
                return Q(**{f"{field}__lte": self.at})
            if mine < rank:
                return Q(**{f"{field}__lt": self.at})
            return Q(**{f"{field}__lte": self.at}) & (
                Q(**{f"{field}__lt": self.at}) | Q(pk__lt=self.pk)
            )
        if mine < rank:
            return Q(**{f"{field}__gte": self.at})
        if mine > rank:
            return Q(**{f"{field}__gt": self.at})
        return Q(**{f"{field}__gte": self.at}) & (
            Q(**{f"{field}__gt": self.at}) | Q(pk__gt=self.pk)
        )


@dataclass(frozen=True)
class Query:
    """What a provider is asked for: one client's items of ``wanted`` kinds, for one gate.

    ``only`` narrows a kind to one item by its reference (a page that shows one check-in
    accounts only that one as shown).
    """

    client: Any
    gate: Gate
    wanted: frozenset[str]
    only: dict[str, str] = field(default_factory=dict)
    #: How many rows a page needs from each provider (None: all). A provider passes its
    #: queryset through ``window`` so it reads no more than that from the database.
    newest: int | None = None
    #: Where the page starts (None: at the newest item).
    cursor: Cursor | None = None
    #: ``wanted`` less the kinds the client has no row of, when already read
    #: (``kinds_check``, beside the consent context); None: ``compose`` asks.
    with_rows: frozenset[str] | None = None

    def window(self, qs: QuerySet[Any], at: str | Expression, kind: str) -> QuerySet[Any]:
        """Return ``qs``'s rows of ``kind`` for the page: past the cursor, at most ``newest``.

        ``at`` is the item's time: a field, or an expression over fields (then the rows
        carry it as ``timeline_at``). Unpaged, every row newest first. On a page, the
        ``newest`` rows nearest the cursor in ``sort_key`` order (nearest first: newest
        first on an "Older" page, oldest first on a "Newer" one). The page's items are
        the nearest N of all providers together, and each of those is among the nearest
        N of its own provider, so each provider reads at most N rows whatever the length
        of the record, from its (client, time, id) index.
        """
        if not isinstance(at, str):
            qs = qs.annotate(timeline_at=at)
        # Ordered by name, not F(name).asc()/.desc(): the same SQL, and resolving the
        # expressions took about a quarter of building and compiling each source's query.
        order = "timeline_at" if not isinstance(at, str) else at
        if self.cursor is not None:
            qs = qs.filter(self.cursor.beyond(kind, at))
        if self.cursor is not None and not self.cursor.older:
            qs = qs.order_by(order, "pk")
        else:
            qs = qs.order_by(f"-{order}", "-pk")
        return qs if self.newest is None else qs[: self.newest]


Provider = Callable[[Query], list[Item]]

#: Where a kind's rows are: a model and its foreign key to the client, such that every
#: row the kind's provider could show has a row of that client there (its own table,
#: or the table it hangs from: a referral's steps, its referrals).
Table = tuple[type[models.Model], str]

_providers: list[tuple[tuple[str, ...], Provider]] = []
_tables: dict[str, Table] = {}


def register(
    kinds: tuple[str, ...], provider: Provider, *, tables: dict[str, Table] | None = None
) -> None:
    """Register ``provider`` as the source of items of ``kinds`` (idempotent).

    ``tables``: where each kind's rows are (see ``Table``), so that ``compose`` can skip
    the provider of a kind the client has no row of. A kind without one is always asked.
    """
    if (kinds, provider) not in _providers:
        _providers.append((kinds, provider))
    _tables.update(tables or {})


@dataclass(frozen=True)
class KindsCheck:
    """The one statement that tells which of some kinds a client has rows of.

    ``sql`` selects one integer: the sum of ``2**i`` for each ``checked[i]`` whose table
    holds a row of the client (one ``EXISTS`` per kind on the kind's client index). The
    SQL is plain (a select list with no ``FROM``), the same on SQLite and PostgreSQL, and
    reads as a scalar subquery too (``ConsentContext.load_beside`` reads it with the
    consent context).
    """

    kinds: frozenset[str]
    checked: tuple[str, ...]
    sql: str
    params: list[int]

    def with_rows(self, found: int) -> frozenset[str]:
        """Return ``kinds`` less the checked ones ``found`` (the statement's answer) lacks."""
        return self.kinds - {k for i, k in enumerate(self.checked) if not found >> i & 1}


def kinds_check(client_id: int, kinds: frozenset[str]) -> KindsCheck | None:
    """Return the check of which of ``kinds`` the client has rows of; None: nothing to ask.

    Most clients have items of a few kinds only, and an empty source costs as much Python
    as a full one (building, compiling and sending its query). A kind registered without
    a table is kept (its provider answers); with fewer than two kinds to check nothing is
    asked, the provider's own query being as cheap.
    """
    checked = [kind for kind in Kind.values if kind in kinds and kind in _tables]
    if len(checked) < 2:
        return None
    quote = connection.ops.quote_name
    tests = []
    for i, kind in enumerate(checked):
        model, fk = _tables[kind]
        field = model._meta.get_field(fk)
        assert isinstance(field, models.ForeignKey), (kind, fk)
        table, column = quote(model._meta.db_table), quote(field.column)
        tests.append(
            f"CASE WHEN EXISTS (SELECT 1 FROM {table} WHERE {column} = %s) THEN {1 << i} ELSE 0 END"  # noqa: S608
        )
    # (names from the models' own metadata, quoted; the client's id a parameter)
    return KindsCheck(
        kinds, tuple(checked), "SELECT " + " + ".join(tests), [client_id] * len(tests)
    )


def kinds_with_rows(client_id: int, kinds: frozenset[str]) -> frozenset[str]:
    """Return ``kinds`` less those whose table holds no row of the client, in one query.

    (``kinds_check``'s statement, run on its own.)
    """
    check = kinds_check(client_id, kinds)
    if check is None:
        return kinds
    with connection.cursor() as cursor:
        cursor.execute(check.sql, check.params)
        (found,) = cursor.fetchone()
    return check.with_rows(int(found))


def by_line(user: Any, org: Any) -> str:
    """Return who wrote an item: "name, organisation", or the organisation alone."""
    return f"{user.display_name}, {org.name}" if user is not None else org.name


def by_fields(user: str, org: str) -> tuple[str, ...]:
    """Return the fields ``by_line`` reads of the relations ``user`` and ``org``, for ``only()``.

    A provider reads just the columns its items show: its rows' other columns (a note's
    formulation, a response's answers) and the people's and practices' other columns
    cost building the query and fetching and converting every row, and show nothing.
    ``User.display_name`` reads the preferred name, the full name, then the email.
    """
    return (f"{user}__preferred_name", f"{user}__full_name", f"{user}__email", f"{org}__name")


class ByRows[M: models.Model]:
    """How ``rows_by`` reads a queryset's rows as tuples, and builds each row's instance and by-line.

    ``values(qs)`` is the ``values_list`` queryset a page reads; ``build(row)`` the
    instance and by-line of one of its rows. Split so that a ``Source`` can read the
    tuples with other kinds' in one statement (``read_together``) and build them after.
    """

    def __init__(self, model: type[M], fields: tuple[str, ...], user: str, org: str) -> None:
        meta = model._meta
        attname = {f.name: f.attname for f in meta.concrete_fields}  # (a KeyError: not a column)
        user_id = attname[user]
        keep = {attname[meta.pk.name], user_id, attname[org], *(attname[f] for f in fields)}
        self.model = model
        # ``from_db`` takes the values in the model's field order
        self.names = [f.attname for f in meta.concrete_fields if f.attname in keep]
        self._n, self._user_at = len(self.names), self.names.index(user_id)
        self._by = by_fields(user, org)

    def values(self, qs: QuerySet[M]) -> QuerySet[Any]:
        """Return ``qs`` read as the tuples ``build`` takes."""
        return qs.values_list(*self.names, *self._by)

    def build(self, row: tuple[Any, ...], db: str) -> tuple[M, str]:
        """Return one row's instance (as ``only()`` would make it) and its ``by_line``."""
        n = self._n
        preferred, full, email, org_name = row[n:]
        # ``User.display_name``: the preferred name, the full name, then the email
        by = org_name if row[self._user_at] is None else f"{preferred or full or email}, {org_name}"
        return self.model.from_db(db, self.names, row[:n]), by


def rows_by[M: models.Model](
    qs: QuerySet[M], fields: tuple[str, ...], user: str, org: str
) -> list[tuple[M, str]]:
    """Return each row of ``qs`` as an instance and its ``by_line``, from one tuple a row.

    The instance holds the primary key, ``fields``, ``user``'s and ``org``'s ids and nothing
    else, as ``qs.only(...)`` would make it (for the consent accounting, which names it by
    its model and public id); the by-line is ``by_line(row.<user>, row.<org>)`` from the
    names ``by_fields`` reads, without a person and a practice built for every row (about
    a third of a source's cost for the bench client's twenty results). ``org`` is not null.
    """
    reader = ByRows(qs.model, fields, user, org)
    return [reader.build(row, qs.db) for row in reader.values(qs)]


@dataclass(frozen=True, eq=False)
class Source:
    """A provider of one kind whose rows are value tuples: read with other sources' at once.

    ``rows(query)``: the kind's rows for the page, a ``values_list`` queryset of plain
    fields passed through ``Query.window`` (None: nothing to read for this viewer);
    ``items(query, rows)``: the items of those rows, in the window's order. ``at`` and
    ``pk``: the names, in the values list, of the item's time and row id (the window's
    order, which ``read_together`` restores). Called as a provider, it runs its own query.
    """

    kind: str
    rows: Callable[[Query], QuerySet[Any] | None]
    items: Callable[[Query, list[tuple[Any, ...]]], list[Item]]
    at: str
    pk: str

    def __call__(self, query: Query) -> list[Item]:
        qs = self.rows(query)
        return self.items(query, [] if qs is None else list(qs))


def read_together(query: Query, sources: list[Source]) -> dict[Source, list[tuple[Any, ...]]]:
    """Return each source's rows for ``query``, read in one statement: what ``list(qs)`` gives.

    Each source's queryset is compiled by the ORM as it would run it, and is one arm of a
    ``UNION ALL``: a row is the arm's number, then every arm's columns, each arm filling
    only its own (PostgreSQL types a column from the arm that fills it; the others' are
    NULL). Each arm's values are converted by its own compiler's converters, as
    ``results_iter`` does, and its rows put back in the window's order (newest first, or
    oldest first on a "Newer" page; the row id breaks a tie), which a ``UNION ALL`` does
    not promise to keep. ``test_timeline.py`` compares every source's rows with its own
    query's, on every kind of page.
    """
    found: dict[Source, list[tuple[Any, ...]]] = {source: [] for source in sources}
    arms: list[_Arm] = []
    for source in sources:
        qs = source.rows(query)
        if qs is not None:
            with suppress(EmptyResultSet):  # (a queryset that can match nothing: no arm)
                arms.append(_Arm(source, qs))
    if not arms:
        return found
    total = sum(arm.width for arm in arms)
    parts, params = [], []
    before = 0
    for i, arm in enumerate(arms):
        if i == 0:
            # PostgreSQL types a UNION's columns two arms at a time, a column of NULLs in
            # both as text: the first arm names the type of every other arm's column.
            others = "".join(f", {null}" for other in arms[1:] for null in other.nulls)
        else:
            others = ", NULL" * (total - before - arm.width)
        # (the ORM's own SQL, every value a parameter; types from the fields' metadata)
        parts.append(f"SELECT {i}{', NULL' * before}, a{i}.*{others} FROM ({arm.sql}) a{i}")  # noqa: S608
        params += arm.params
        arm.start = before + 1  # (after the arm's number)
        before += arm.width
    with connections[arms[0].alias].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        fetched = cursor.fetchall()
    read: list[list[Any]] = [[] for _ in arms]
    for row in fetched:
        arm = arms[row[0]]
        read[row[0]].append(row[arm.start : arm.start + arm.width])
    newest_first = query.cursor is None or query.cursor.older
    for arm, rows in zip(arms, read, strict=True):
        found[arm.source] = arm.ordered(rows, newest_first=newest_first)
    return found


class _Arm:
    """One source's values query compiled as the ORM runs it: its columns, their converters."""

    def __init__(self, source: Source, qs: QuerySet[Any]) -> None:
        if qs.query.annotation_select or qs.query.extra_select:
            raise ValueError(f"{source.kind}: a source reads plain fields, no annotation.")
        self.source, self.alias = source, qs.db
        self.compiler = qs.query.get_compiler(using=self.alias)
        sql, params = self.compiler.as_sql()  # (EmptyResultSet: nothing to read)
        self.sql, self.params = sql, list(params)
        columns = [column for column, _, _ in self.compiler.select]
        names = list(qs.query.values_select)
        if len(names) != len(columns):
            raise ValueError(f"{source.kind}: the statement's columns are not its values.")
        self.width, self.start = len(columns), 0
        self.at, self.pk = names.index(source.at), names.index(source.pk)
        # What ``SQLCompiler.results_iter`` converts a row with
        self.converters = self.compiler.get_converters(columns)
        self.nulls = [_typed_null(column, connections[self.alias]) for column in columns]

    def ordered(self, rows: list[Any], *, newest_first: bool) -> list[tuple[Any, ...]]:
        """Return the arm's rows converted as the ORM reads them, in the window's order."""
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        got = [tuple(row) for row in rows]
        at, pk = self.at, self.pk
        got.sort(key=lambda row: (row[at], row[pk]), reverse=newest_first)
        return got


def _typed_null(column: Any, connection_: Any) -> str:
    """Return a NULL of ``column``'s type as the database casts to it (``Cast``'s type)."""
    db_type = column.output_field.cast_db_type(connection_)
    if not db_type:
        raise ValueError(f"No type to cast a NULL to for {column!r}.")
    return f"CAST(NULL AS {db_type})"


def compose(query: Query) -> list[Item]:
    """Return the items of every provider of a wanted kind, newest first (``sort_key``).

    Providers of kinds the client has no row of are not asked (``kinds_with_rows``): they
    would return nothing. The rows of the ``Source`` providers asked are read in one
    statement (``read_together``) when there are two or more; every provider then makes
    its items in ``Kind`` order, so the consent gate judges them in the same order.
    """
    if query.with_rows is not None:
        wanted = query.with_rows
    else:
        wanted = kinds_with_rows(query.client.pk, query.wanted)
    if wanted != query.wanted:
        query = replace(query, wanted=wanted)
    asked = [
        provider
        for kinds, provider in sorted(_providers, key=lambda p: min(kind_rank(k) for k in p[0]))
        if wanted.intersection(kinds)
    ]
    sources = [provider for provider in asked if isinstance(provider, Source)]
    read = read_together(query, sources) if len(sources) > 1 else {}
    items: list[Item] = []
    for provider in asked:
        if isinstance(provider, Source) and provider in read:
            items += provider.items(query, read[provider])
        else:
            items += provider(query)
    items.sort(key=sort_key, reverse=True)
    return items


@dataclass
class Page:
    """One page of a timeline, newest first, and the cursors of the pages either side."""

    items: list[Item]
    newer: Cursor | None
    older: Cursor | None


def compose_page(query: Query, size: int) -> Page:
    """Return the ``size`` items nearest ``query.cursor`` (the newest without one).

    ``query.newest`` should be ``size + 1``: one more than a page, to know whether
    more follow in the direction read.
    """
    items = compose(query)
    cursor = query.cursor
    if cursor is None or cursor.older:
        page, more_newer, more_older = items[:size], cursor is not None, len(items) > size
    else:
        page, more_newer, more_older = items[-size:], len(items) > size, True
    return Page(
        page,
        newer=Cursor.of(page[0], older=False) if page and more_newer else None,
        older=Cursor.of(page[-1], older=True) if page and more_older else None,
    )
