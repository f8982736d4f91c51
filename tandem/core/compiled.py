"""A queryset compiled to SQL once per process and database, run with each request's id.

Building a queryset and compiling it to SQL is Python work Django repeats on every
request; for the signed-in user's query, with its subqueries (second factor, client
record, whether an alert may wait), it cost about 1.5 ms of the ~5 ms every page pays.
Its SQL depends only on the database it is compiled for and on one id. ``CompiledById``
compiles it once per database alias, with a placeholder id that it then finds among the
statement's parameters, and runs that same statement with each request's id: the SQL
Django would have sent. Only the statement's text is kept (a constant of the code, like
a compiled URL pattern); no row and no value read from the database is.

With ``related`` (a forward foreign key the queryset ``select_related``s), the statement
selects the model's columns then the related model's, and each row comes back as the ORM
builds it: the instance, with its related instance already in place (no query when it is
read). The layout is checked against the compiler's own select list when the statement
is compiled, so a Django that lays it out otherwise fails loudly rather than misreads.

On PostgreSQL the statement is also prepared, once per connection (``run_prepared``): the
server plans it on its first runs and then reuses the plan, where each run of Django's
client-side-bound SQL is parsed and planned afresh (the user's query, with its five
subqueries, took ~0.4 ms to plan and ~0.04 ms to run). The rows are the same: the same
SQL and parameters, bound by the server instead of spelled into the text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet

try:
    import psycopg
except ImportError:  # pragma: no cover (SQLite-only installs)
    psycopg = None  # type: ignore[assignment]

#: An id no row has, standing for the request's id while the statement is compiled.
PLACEHOLDER = -7_350_927_164_310_042


class CompiledById[M: Model]:
    """``build(id)``'s statement compiled once per database; ``rows(id)`` runs it.

    ``build`` must use its argument exactly once, as an integer id compared in the
    statement (``.filter(pk=id)``); the statement must select the model's columns (a
    queryset of instances, annotations allowed). Each row is built as the ORM builds it
    (values converted by the statement's compiler, annotations set by name).
    """

    def __init__(
        self, model: type[M], build: Callable[[int], QuerySet[M]], *, related: str = ""
    ) -> None:
        self.model = model
        self._build = build
        self._related = related
        self._compiled: dict[str, tuple[str, tuple[Any, ...], int]] = {}
        #: Per alias, the compiler of the statement and its columns' converters (code, no data).
        self._converting: dict[str, tuple[Any, dict[int, Any]]] = {}
        #: Per alias, the names of the annotations selected after the model's columns.
        self._annotations: dict[str, list[str]] = {}

    def statement(self, alias: str) -> tuple[str, tuple[Any, ...], int]:
        """Return the SQL, its parameters and the position of the id among them, for ``alias``."""
        found = self._compiled.get(alias)
        if found is None:
            compiler = self._build(PLACEHOLDER).query.get_compiler(alias)
            sql, params = compiler.as_sql()
            at = [i for i, value in enumerate(params) if value == PLACEHOLDER]
            if len(at) != 1:
                raise ValueError("The queryset must use its id exactly once.")
            columns = [column for column, _, _ in compiler.select]
            targets = [getattr(c, "target", None) for c in columns]
            if self._related:
                if targets != [*self._fields(), *self._related_fields()]:
                    raise ValueError(
                        f"The statement must select {self.model.__name__}'s columns, "
                        f"then those of its {self._related}, and nothing else."
                    )
            else:
                annotations = sorted(compiler.annotation_col_map.items(), key=lambda a: a[1])
                cut = len(self._fields())
                if targets[:cut] != self._fields() or [at for _, at in annotations] != list(
                    range(cut, len(columns))
                ):
                    raise ValueError(
                        f"The statement must select {self.model.__name__}'s columns, "
                        "then its annotations, and nothing else."
                    )
                self._annotations[alias] = [name for name, _ in annotations]
            self._converting[alias] = (compiler, compiler.get_converters(columns))
            found = self._compiled[alias] = (sql, tuple(params), at[0])
        return found

    def _fields(self) -> list[Any]:
        return list(self.model._meta.concrete_fields)

    def _related_fields(self) -> list[Any]:
        field = self.model._meta.get_field(self._related)
        return list(field.related_model._meta.concrete_fields)  # type: ignore[union-attr]

    def rows(self, pk: int) -> list[M]:
        """Return the instances the statement finds for ``pk`` (an integer id)."""
        alias = router.db_for_read(self.model)
        sql, params, at = self.statement(alias)
        values = list(params)
        values[at] = int(pk)
        if not self._related:
            return self._annotated(alias, sql, values)
        return self._with_related(alias, sql, values)

    def _converted(self, alias: str, sql: str, values: list[Any]) -> list[Any]:
        """Run the statement; return its rows, each value converted by the statement's own
        compiler (``get_converters`` and ``apply_converters``, as ``results_iter`` does)."""
        compiler, converters = self._converting[alias]
        rows = run_prepared(connections[alias], sql, values)
        if converters:
            return list(compiler.apply_converters(rows, converters))
        return rows

    def _annotated(self, alias: str, sql: str, values: list[Any]) -> list[M]:
        """Build each row as the ORM's ``ModelIterable`` does: the instance made by
        ``from_db`` from the model's columns, each annotation set on it by name."""
        names = [f.attname for f in self._fields()]
        annotations = self._annotations[alias]
        cut = len(names)
        found: list[M] = []
        for row in self._converted(alias, sql, values):
            instance = self.model.from_db(alias, names, row[:cut])
            for name, value in zip(annotations, row[cut:], strict=True):
                setattr(instance, name, value)
            found.append(instance)
        return found

    def _with_related(self, alias: str, sql: str, values: list[Any]) -> list[M]:
        """Run the statement and build each row as the ORM does for ``select_related``.

        Each value converted (``_converted``), the instance and its related one made by
        ``from_db``, the related one put in the foreign key's cache.
        """
        foreign_key: Any = self.model._meta.get_field(self._related)
        related_model = foreign_key.related_model
        names = [f.attname for f in self._fields()]
        related_names = [f.attname for f in self._related_fields()]
        related_pk = related_names.index(related_model._meta.pk.attname)
        cut = len(names)
        found: list[M] = []
        for row in self._converted(alias, sql, values):
            value = list(row)
            instance = self.model.from_db(alias, names, value[:cut])
            other = value[cut:]
            related = (
                related_model.from_db(alias, related_names, other)
                if other[related_pk] is not None
                else None
            )
            foreign_key.set_cached_value(instance, related)
            found.append(instance)
        return found


if psycopg is not None:

    class PreparingCursor(psycopg.Cursor[Any]):
        """A psycopg cursor binding parameters on the server and preparing what it runs.

        psycopg keeps each connection's prepared statements (``prepared_max``, 100) and
        runs a statement it has prepared by name: the first run prepares it (one round
        trip more, once per connection), the later ones skip the parsing and, after
        PostgreSQL's first five runs, the planning.
        """

        def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
            done = super().execute(query, params, **{**options, "prepare": True})
            # What Django logs (CaptureQueriesContext, DEBUG) is ``_query.query``, which
            # psycopg sets only for statements it does not prepare: the statement with its
            # values spelled in, as the client-side cursor sends it, spelled only if read.
            self._query = _Spelled(self.connection, query, params)  # type: ignore[assignment]
            return done

    class _Spelled:
        """``query``: the statement as a client-side cursor would have sent it (bytes)."""

        def __init__(self, connection: Any, sql: Any, params: Any) -> None:
            self._connection, self._sql, self._params = connection, sql, params

        @property
        def query(self) -> bytes:
            spelled = psycopg.ClientCursor(self._connection).mogrify(self._sql, self._params)
            return spelled.encode()


def prepares(connection: Any) -> bool:
    """Return whether statements run on ``connection`` by ``run_prepared`` are prepared.

    PostgreSQL with psycopg 3 only, and only where the settings let psycopg prepare
    (``prepare_threshold`` not None: off behind a transaction pooler, see settings).
    """
    return (
        psycopg is not None
        and connection.vendor == "postgresql"
        and isinstance(connection.connection, psycopg.Connection)
        and connection.connection.prepare_threshold is not None
    )


def run_prepared(connection: Any, sql: str, values: list[Any]) -> list[tuple[Any, ...]]:
    """Run ``sql`` through Django's cursor and return its rows; prepared where it may be.

    For a statement whose text is the same on every run (its values all parameters)
    and that runs on most requests: each text prepared takes one of the connection's
    ``prepared_max`` places. The cursor is Django's own (health check, logging, ``execute_wrapper``s, error
    translation), its psycopg cursor swapped for a ``PreparingCursor`` on the same
    connection where the statement may be prepared.
    """
    with connection.cursor() as cursor:
        if prepares(connection):
            client_side, cursor.cursor = cursor.cursor, PreparingCursor(connection.connection)
            client_side.close()
        cursor.execute(sql, values)
        return cursor.fetchall()
