"""The audit tables carry the indexes their reads use, and no other: every append writes each."""

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

#: Per table, each index (not a primary key) and its columns: what the search
#: (organisation, action, actor, object, client, dates), a client's "Who has seen your
#: record" (client, listed client) and verify_audit (chain and seq; event of a listed
#: client) read.
EXPECTED = {
    "audit_auditevent": {
        "audit_event_org_id_idx": ["organisation_id", "id"],
        "audit_event_action_idx": ["action"],
        "audit_event_object_id_idx": ["object_id"],
        "audit_event_client_id_idx": ["client_id"],
        "audit_auditevent_actor_id_270bb4b7": ["actor_id"],
        "audit_auditevent_occurred_at_1f007848": ["occurred_at"],
        "audit_event_chain_seq_once": ["chain", "seq"],
    },
    "audit_auditeventclient": {
        "audit_listed_client_idx": ["client_id"],
        "audit_event_client_once": ["event_id", "client_id"],
    },
}


def _indexes(table: str) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {
        name: list(about["columns"])
        for name, about in found.items()
        if (about["index"] or about["unique"]) and not about["primary_key"]
    }


def _definitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename IN "
            "('audit_auditevent', 'audit_auditeventclient')"
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_each_audit_table_has_the_indexes_its_reads_use_and_no_like_prefix_twin():
    # Then each table has exactly the listed indexes
    for table, expected in EXPECTED.items():
        assert _indexes(table) == expected, table
    # and on PostgreSQL none of them is a LIKE-prefix (varchar_pattern_ops) index
    if connection.vendor == "postgresql":
        definitions = _definitions()
        assert len(definitions) == 11  # the nine above and the two primary keys
        assert not [d for d in definitions if "pattern_ops" in d], definitions


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_plain_indexes_and_drops_only_their_like_twins():
    # Given the tables as db_index built them (a plain index and, on PostgreSQL, a
    # LIKE-prefix twin for each text column)
    executor = MigrationExecutor(connection)
    executor.migrate([("audit", "0007_search_keyset_index")])
    before: dict[str, Any] = {table: _indexes(table) for table in EXPECTED}
    assert before["audit_auditevent"]["audit_auditevent_client_id_b7cf9ec4"] == ["client_id"]
    assert before["audit_auditeventclient"]["audit_auditeventclient_client_id_c8bac755"] == [
        "client_id"
    ]
    if connection.vendor == "postgresql":
        assert sum("pattern_ops" in d for d in _definitions()) == 4

    # When the migration runs
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("audit"))

    # Then the tables have the indexes the models declare, the twins gone
    for table, expected in EXPECTED.items():
        assert _indexes(table) == expected, table
    if connection.vendor == "postgresql":
        assert not [d for d in _definitions() if "pattern_ops" in d]
