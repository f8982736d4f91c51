"""One chain per practice: appends for different practices never wait on each other's lock.

Each chain is numbered from 1, linked from its own genesis and sealed by its own signed
head; verify_audit checks every chain, and one anchor line pins every head.
"""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection, transaction

from tandem.audit.actions import record
from tandem.audit.chain import head_signature
from tandem.audit.models import LEGACY_CHAIN, AuditAction, AuditChainHead, AuditEvent
from tandem.audit.tests.test_chain import _raw
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff

pytestmark = pytest.mark.django_db

A, B = "practice-a", "practice-b"


def _events(organisation, n=3):
    return [
        record(actor=None, action=AuditAction.UPDATE, organisation=organisation, object_id=f"o{i}")
        for i in range(n)
    ]


def _verify(*args):
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def test_each_practice_has_its_own_chain_numbered_from_one():
    a, b, legacy = _events(A), _events(B, 2), _events(None, 1)

    assert [e.seq for e in a] == [1, 2, 3]
    assert [e.seq for e in b] == [1, 2]
    assert legacy[0].chain == LEGACY_CHAIN
    assert len({a[0].chain, b[0].chain, LEGACY_CHAIN}) == 3
    out = _verify()
    assert "Audit chain intact: 6 events verified." in out
    assert "In 3 chains" in out


def test_a_staff_members_read_without_a_practice_joins_their_practices_chain(client):
    therapist = make_staff(Role.THERAPIST)
    practice = therapist.memberships.get().organisation
    event = record(actor=therapist, action=AuditAction.VIEW, object_id="list")

    assert AuditChainHead.objects.get(pk=event.chain).name == str(practice.public_id)
    assert event.organisation_id == ""  # the row itself says what the caller said


def test_an_edited_row_in_a_practices_chain_is_reported_with_its_chain():
    a = _events(A)
    _events(B)
    _raw("UPDATE audit_auditevent SET object_id = 'x' WHERE id = %s", [a[1].pk])
    with pytest.raises(CommandError, match=rf"audit chain {A} broken at #2: content does not"):
        _verify()


def test_a_row_moved_into_another_practices_chain_is_reported():
    a, b = _events(A), _events(B)
    # Move A's last row to the end of B's chain, heads and all: it links to neither.
    _raw("UPDATE audit_auditevent SET chain = %s, seq = 4 WHERE id = %s", [b[0].chain, a[2].pk])
    with pytest.raises(CommandError, match="broken at #"):
        _verify()


def test_a_practices_chain_cut_and_its_head_moved_back_without_the_key_is_reported():
    a = _events(A)
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [a[2].pk])
    _raw(
        "UPDATE audit_auditchainhead SET last_seq = 2, last_hash = %s WHERE id = %s",
        [a[1].hash, a[0].chain],
    )
    with pytest.raises(CommandError, match=rf"audit chain {A} broken at #2: the head's signature"):
        _verify()


def test_rows_whose_head_was_deleted_are_reported():
    a = _events(A)
    _raw("DELETE FROM audit_auditchainhead WHERE id = %s", [a[0].chain])
    with pytest.raises(CommandError, match=rf"rows of chain {a[0].chain} have no head"):
        _verify()


def test_one_anchor_line_pins_every_head_and_still_holds_after_more_events():
    _events(A)
    _events(B, 2)
    _events(None, 1)
    anchor = _verify("--print-head").strip()

    assert anchor.startswith("tandem-audit-head seq=6 hash=")
    assert anchor.endswith(f" chains=legacy:1,{A}:3,{B}:2")
    _events(A)
    _events(B)
    assert "contains the anchored head #6" in _verify("--expect-head", anchor)


def test_a_practices_chain_cut_and_resigned_with_the_key_fails_the_anchor():
    a = _events(A)
    _events(B)
    anchor = _verify("--print-head").strip()
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [a[2].pk])
    _raw(
        "UPDATE audit_auditchainhead SET last_seq = 2, last_hash = %s, signature = %s "
        "WHERE id = %s",
        [a[1].hash, head_signature(2, a[1].hash, A), a[0].chain],
    )

    _verify()  # the chains alone hold: the key is what a head's signature rests on
    with pytest.raises(
        CommandError, match=rf"anchor #3 of chain {A} is past the end of the chain \(it ends at #2"
    ):
        _verify("--expect-head", anchor)


def test_a_whole_chain_deleted_with_its_head_fails_the_anchor():
    a = _events(A)
    _events(B)
    anchor = _verify("--print-head").strip()
    _raw("DELETE FROM audit_auditevent WHERE chain = %s", [a[0].chain])
    _raw("DELETE FROM audit_auditchainhead WHERE id = %s", [a[0].chain])

    _verify()
    with pytest.raises(CommandError, match=rf"chain {A} of the anchor is gone"):
        _verify("--expect-head", anchor)


def test_an_anchored_head_rewritten_with_the_key_fails_the_anchor():
    _events(A)
    _events(B)
    anchor = _verify("--print-head").strip()
    digest = anchor.split(" hash=")[1].split(" ")[0]
    with pytest.raises(CommandError, match="the anchored heads does not match the anchor"):
        _verify("--expect-head", anchor.replace(digest, "e" * 64))


# --- Concurrency, on PostgreSQL: row locks are what serialise a chain's writers ---------


def _in_thread(work):
    """Run ``work`` on its own connection; return what it raised (None when it committed)."""
    outcome: list[BaseException | None] = []

    def run():
        try:
            work()
            outcome.append(None)
        except BaseException as error:  # reported to the test
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert outcome, "the thread did not finish"
    return outcome[0]


def _append_with_lock_timeout(organisation):
    def work():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            record(actor=None, action=AuditAction.UPDATE, organisation=organisation)

    return work


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_appends_for_different_practices_do_not_wait_but_one_practices_appends_do():
    _events(A, 1)
    _events(B, 1)
    holding, release = threading.Event(), threading.Event()

    def hold_practice_a_open():
        with transaction.atomic():
            record(actor=None, action=AuditAction.UPDATE, organisation=A)
            holding.set()
            release.wait(60)

    def holder_run():
        try:
            hold_practice_a_open()
        finally:
            connection.close()

    holder = threading.Thread(target=holder_run)
    holder.start()
    try:
        assert holding.wait(30)
        # While A's append is uncommitted, B's append commits without waiting for it...
        assert _in_thread(_append_with_lock_timeout(B)) is None
        # ...and a second append for A waits for A's head until its lock timeout.
        waited = _in_thread(_append_with_lock_timeout(A))
        assert isinstance(waited, OperationalError)
        assert "lock timeout" in str(waited)
    finally:
        release.set()
        holder.join(60)

    assert AuditEvent.objects.filter(organisation_id=A).count() == 2
    assert AuditEvent.objects.filter(organisation_id=B).count() == 2
    assert "4 events verified" in _verify()


# --- A list read: one event and one insert of its index, however long the page --------------


def test_a_page_of_fifty_clients_is_one_event_and_one_insert_of_its_index():
    from django.test.utils import CaptureQueriesContext

    from tandem.audit.models import AuditEventClient

    clients = [f"client-{i:02}" for i in range(50)]
    with CaptureQueriesContext(connection) as writes:
        event = record(
            actor=None,
            action=AuditAction.VIEW,
            organisation=A,
            detail={"list": "caseload", "clients": clients},
        )

    # (PostgreSQL inserts the event inside the WITH that moves the chain's head.)
    inserts = [q["sql"] for q in writes.captured_queries if q["sql"].startswith(("INSERT", "WITH"))]
    assert len([sql for sql in inserts if 'INTO "audit_auditevent"' in sql]) == 1
    assert len([sql for sql in inserts if "audit_auditeventclient" in sql]) == 1
    # Every client the page showed finds the read in their own accounting.
    assert (
        sorted(AuditEventClient.objects.filter(event=event).values_list("client_id", flat=True))
        == clients
    )


def test_an_append_links_its_row_and_moves_the_head_in_as_few_statements_as_the_database_allows():
    from django.test.utils import CaptureQueriesContext

    from tandem.audit.chain import head_signature_holds

    # Given a practice's chain with one row
    first = record(actor=None, action=AuditAction.VIEW, organisation=A, object_id="first")

    # When one more event is recorded
    with CaptureQueriesContext(connection) as statements:
        event = record(
            actor=None, action=AuditAction.VIEW, organisation=A, object_id="x", detail={"n": 1}
        )

    # Then the returned event is the stored row, linked to the one before
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.seq, stored.prev_hash, stored.hash) == (2, first.hash, event.hash)
    assert stored.detail == {"n": 1}
    # and the head, still sealed with the key, ends at it
    head = AuditChainHead.objects.get(pk=event.chain)
    assert (head.last_seq, head.last_hash) == (2, event.hash)
    assert head_signature_holds(head.last_seq, head.last_hash, head.signature, head.name)
    # in the head's lock and one statement on PostgreSQL (the insert inside the WITH that
    # moves the head), the lock, the insert and the head's update on SQLite
    writes = [
        q["sql"].split(None, 1)[0]
        for q in statements.captured_queries
        if q["sql"].lstrip().startswith(("INSERT", "UPDATE", "WITH"))
    ]
    postgresql = connection.vendor == "postgresql"
    assert writes == (["INSERT", "WITH"] if postgresql else ["INSERT", "INSERT", "UPDATE"])
    assert "Audit chain intact: 2 events verified." in _verify()


def test_a_list_read_its_client_index_and_the_heads_move_are_one_statement_on_postgresql():
    from django.test.utils import CaptureQueriesContext

    # Given a practice's chain with one row
    record(actor=None, action=AuditAction.VIEW, organisation=A, object_id="first")

    # When a list read naming three clients is recorded
    with CaptureQueriesContext(connection) as statements:
        event = record(
            actor=None,
            action=AuditAction.VIEW,
            organisation=A,
            detail={"list": "caseload", "clients": ["c-1", "c-2", "c-3"]},
        )

    # Then on PostgreSQL the event, its index and the head's move are one round trip after
    # the head's lock (was two: the index was a second INSERT); SQLite inserts them one by one
    writes = [
        q["sql"].split(None, 1)[0]
        for q in statements.captured_queries
        if q["sql"].lstrip().startswith(("INSERT", "UPDATE", "WITH"))
    ]
    postgresql = connection.vendor == "postgresql"
    assert writes == (
        ["INSERT", "WITH"] if postgresql else ["INSERT", "INSERT", "UPDATE", "INSERT"]
    )
    # and every client the page named finds the read in their own accounting
    assert _index() == [(event.pk, "c-1"), (event.pk, "c-2"), (event.pk, "c-3")]
    assert "Audit chain intact: 2 events verified." in _verify()


def _index():
    from tandem.audit.models import AuditEventClient

    return list(AuditEventClient.objects.order_by("pk").values_list("event_id", "client_id"))


def test_a_batch_across_chains_indexes_each_events_own_clients_once_in_order():
    from tandem.audit.actions import record_many

    # Given a batch of reads on two practices' chains: some name clients (one twice, one
    # by a number), one names none, one names an empty list
    def entry(organisation, clients):
        detail = {"list": "search"} if clients is None else {"list": "search", "clients": clients}
        return {
            "actor": None,
            "action": AuditAction.VIEW,
            "organisation": organisation,
            "detail": detail,
        }

    events = record_many(
        [
            entry(B, ["b-2", "b-1", "b-2"]),
            entry(A, ["a-1"]),
            entry(B, None),
            entry(A, [7, "a-2"]),
            entry(B, []),
            entry(B, ["b-3"]),
        ]
    )

    # Then each event is indexed with the distinct clients it names, as text, in the order
    # it names them, the events taken chain by chain in name order as they were linked
    a1, a2, b1, _b_none, _b_empty, b3 = events
    assert [e.detail.get("clients") for e in (a1, b1, b3)] == [
        ["a-1"],
        ["b-2", "b-1", "b-2"],
        ["b-3"],
    ]
    assert _index() == [
        (a1.pk, "a-1"),
        (a2.pk, "7"),
        (a2.pk, "a-2"),
        (b1.pk, "b-2"),
        (b1.pk, "b-1"),
        (b3.pk, "b-3"),
    ]
    # and the index agrees with the hashed details verify_audit reads it against
    assert "Audit chain intact: 6 events verified." in _verify()
