"""How an audit append's statements differ by database, for the query-count pins."""

from django.db import connection


def fewer_on_postgresql(appends: int = 1, *, indexed: int = 0) -> int:
    """Return how many statements fewer ``appends`` audit appends take on PostgreSQL.

    PostgreSQL inserts the event and moves its chain's head in one statement
    (``tandem.audit.actions._insert_moving_head``); SQLite takes two. Of those appends,
    ``indexed`` are list reads naming clients: PostgreSQL writes their client index in
    that same statement, SQLite in one more. The pins count SQLite's statements and
    subtract this.
    """
    return appends + indexed if connection.vendor == "postgresql" else 0
