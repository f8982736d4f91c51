"""Compare a restored backup with its source: ``manage.py backup_check --restored URL``.

Counts the rows of every table of the source database (``--source``, default
``DATABASE_URL``) and of the restored one, and exits non-zero naming each table
whose count differs or that is missing. ``scripts/backup-drill`` runs it after
``pg_restore``, with ``verify_audit`` on both; see docs/deploy.md.

Counts are exact when nothing writes to the source between the dump and the check
(a quiet moment, or a drill against a copy). Against a live source use ``--live``:
a restored table may then have fewer rows than the source, never more, and the
audit anchors say whether the restored trail is a prefix of the live one.
"""

from __future__ import annotations

from typing import Any

import environ
import psycopg
from django.core.management.base import BaseCommand, CommandError, CommandParser
from psycopg import sql

env = environ.Env()

_TABLES = """
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public' ORDER BY c.relname
"""


def _conninfo(url: str) -> str:
    config = env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        raise CommandError("backup_check compares PostgreSQL databases (postgres://...).")
    parts = {
        "dbname": config.get("NAME"),
        "user": config.get("USER"),
        "password": config.get("PASSWORD"),
        "host": config.get("HOST"),
        "port": config.get("PORT"),
    }
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in parts.items() if v})


def table_counts(url: str) -> dict[str, int]:
    """Return ``{table: rows}`` for every table of the database at ``url``."""
    with psycopg.connect(_conninfo(url)) as connection, connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one snapshot
        cursor.execute(_TABLES)
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
            row = cursor.fetchone()
            counts[table] = int(row[0]) if row else 0
        return counts


def differences(source: dict[str, int], restored: dict[str, int], *, live: bool) -> list[str]:
    """Name every table whose restored count is wrong (``live``: only fewer rows allowed)."""
    problems = []
    for table, rows in sorted(source.items()):
        if table not in restored:
            problems.append(f"{table}: missing from the restored database")
        elif restored[table] > rows or (not live and restored[table] != rows):
            problems.append(f"{table}: {restored[table]} rows restored, {rows} in the source")
    problems.extend(
        f"{table}: only in the restored database" for table in sorted(set(restored) - set(source))
    )
    return problems


class Command(BaseCommand):
    help = "Compare the row count of every table of a restored backup with its source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--restored", required=True, help="URL of the restored database.")
        parser.add_argument(
            "--source", default=None, help="URL of the source database (default DATABASE_URL)."
        )
        parser.add_argument(
            "--live",
            action="store_true",
            help="The source kept taking writes: restored counts may be lower, never higher.",
        )

    def handle(
        self, *args: Any, restored: str, source: str | None, live: bool, **options: Any
    ) -> None:
        source = source or env.str("DATABASE_URL", default="")
        if not source:
            raise CommandError("Give --source or set DATABASE_URL.")
        source_counts = table_counts(source)
        restored_counts = table_counts(restored)
        problems = differences(source_counts, restored_counts, live=live)
        if problems:
            raise CommandError("The restored database differs:\n  " + "\n  ".join(problems))
        total = sum(restored_counts.values())
        self.stdout.write(
            f"Restored database matches: {len(restored_counts)} tables, {total} rows."
        )
