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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet

#: An id no row has, standing for the request's id while the statement is compiled.
PLACEHOLDER = -7_350_927_164_310_042


class CompiledById[M: Model]:
    """``build(id)``'s statement compiled once per database; ``rows(id)`` runs it.

    ``build`` must use its argument exactly once, as an integer id compared in the
    statement (``.filter(pk=id)``); the statement must select the model's columns (a
    queryset of instances, annotations allowed). Annotations come back as the database
    gives them (SQLite: 0 and 1 for booleans).
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

    def statement(self, alias: str) -> tuple[str, tuple[Any, ...], int]:
        """Return the SQL, its parameters and the position of the id among them, for ``alias``."""
        found = self._compiled.get(alias)
        if found is None:
            compiler = self._build(PLACEHOLDER).query.get_compiler(alias)
            sql, params = compiler.as_sql()
            at = [i for i, value in enumerate(params) if value == PLACEHOLDER]
            if len(at) != 1:
                raise ValueError("The queryset must use its id exactly once.")
            if self._related:
                columns = [column for column, _, _ in compiler.select]
                if [getattr(c, "target", None) for c in columns] != [
                    *self._fields(),
                    *self._related_fields(),
                ]:
                    raise ValueError(
                        f"The statement must select {self.model.__name__}'s columns, "
                        f"then those of its {self._related}, and nothing else."
                    )
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
            return list(self.model._default_manager.raw(sql, values, using=alias))
        return self._with_related(alias, sql, values)

    def _with_related(self, alias: str, sql: str, values: list[Any]) -> list[M]:
        """Run the statement and build each row as the ORM does for ``select_related``.

        Each value converted by the statement's own compiler (``get_converters`` and
        ``apply_converters``, as ``results_iter`` does), the instance and its related one
        made by ``from_db``, the related one put in the foreign key's cache.
        """
        connection = connections[alias]
        compiler, converters = self._converting[alias]
        foreign_key: Any = self.model._meta.get_field(self._related)
        related_model = foreign_key.related_model
        names = [f.attname for f in self._fields()]
        related_names = [f.attname for f in self._related_fields()]
        related_pk = related_names.index(related_model._meta.pk.attname)
        cut = len(names)
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            rows = cursor.fetchall()
        if converters:
            rows = list(compiler.apply_converters(rows, converters))
        found: list[M] = []
        for row in rows:
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
