"""The audit trail is append-only and tamper-evident."""

from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import override_settings

from tandem.audit.actions import record
from tandem.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def _three_events():
    return [
        record(actor=None, action=AuditAction.LOGIN_FAILED, object_id=f"x{i}") for i in range(3)
    ]


def _raw(sql, params=()):
    """Tamper as a database administrator would: raw SQL, bypassing the app and its trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only"
            )
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only"
            )


def test_intact_chain_verifies(capsys):
    _three_events()
    call_command("verify_audit")
    assert "3 events verified" in capsys.readouterr().out


def test_edited_row_is_reported_at_its_position():
    events = _three_events()
    _raw("UPDATE audit_auditevent SET object_id = %s WHERE seq = %s", ["tampered", events[1].seq])
    with pytest.raises(CommandError, match=rf"#{events[1].seq}: content does not match"):
        call_command("verify_audit")


def test_deleted_row_is_reported():
    events = _three_events()
    _raw("DELETE FROM audit_auditevent WHERE seq = %s", [events[1].seq])
    with pytest.raises(CommandError, match=rf"#{events[1].seq} is missing"):
        call_command("verify_audit")


def test_deleted_last_row_is_reported():
    events = _three_events()
    _raw("DELETE FROM audit_auditevent WHERE seq = %s", [events[2].seq])
    with pytest.raises(CommandError, match="head records"):
        call_command("verify_audit")


def test_inserted_row_is_reported():
    events = _three_events()
    # Shift the later rows up to make room, then forge a row that links to its predecessor.
    _raw("UPDATE audit_auditevent SET seq = seq + 100 WHERE seq >= %s", [events[1].seq])
    forged = AuditEvent(
        seq=events[1].seq,
        occurred_at=events[1].occurred_at,
        action=AuditAction.VIEW,
        prev_hash=events[0].hash,
        hash="f" * 64,
    )
    AuditEvent.objects.bulk_create([forged])
    with pytest.raises(CommandError, match=rf"#{events[1].seq}: content does not match"):
        call_command("verify_audit")


def test_app_cannot_change_or_delete_rows():
    event = record(actor=None, action=AuditAction.LOGIN_FAILED)
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="view")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


@pytest.mark.postgres
def test_database_refuses_update_and_delete_on_postgresql():
    from django.db import DatabaseError

    event = record(actor=None, action=AuditAction.LOGIN_FAILED)
    for sql in (
        "UPDATE audit_auditevent SET action = 'view' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.LOGIN_FAILED


@pytest.mark.postgres
def test_the_index_of_listed_clients_is_append_only_in_postgresql_too():
    from django.db import DatabaseError

    from tandem.audit.models import AuditEventClient

    event = record(
        actor=None, action=AuditAction.VIEW, detail={"list": "caseload", "clients": ["c-1"]}
    )
    (listed,) = AuditEventClient.objects.filter(event=event)
    for sql in (
        "UPDATE audit_auditeventclient SET client_id = 'c-2' WHERE id = %s",
        "DELETE FROM audit_auditeventclient WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [listed.pk])
    assert AuditEventClient.objects.get(pk=listed.pk).client_id == "c-1"
    with pytest.raises(PermissionError):
        AuditEventClient.objects.all().delete()


def test_a_row_forged_onto_the_end_is_reported_even_when_the_head_is_moved_too():
    # A forger who can write to the database but does not hold the HMAC key links a new
    # last row to the real chain and moves the head to it.
    from tandem.audit.chain import row_hash

    events = _three_events()
    forged_values = {
        "seq": events[2].seq + 1,
        "occurred_at": events[2].occurred_at,
        "actor_id": None,
        "actor_role": "",
        "action": AuditAction.VIEW,
        "object_type": "",
        "object_id": "",
        "organisation_id": "",
        "client_id": "",
        "request_id": "",
        "ip": None,
        "detail": {},
    }
    with override_settings(AUDIT_HMAC_KEY="a key the forger guessed"):
        forged_hash = row_hash(events[2].hash, forged_values)
    AuditEvent.objects.bulk_create(
        [AuditEvent(prev_hash=events[2].hash, hash=forged_hash, **forged_values)]
    )
    _raw(
        "UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
        [forged_values["seq"], forged_hash],
    )

    with pytest.raises(CommandError, match=rf"#{forged_values['seq']}: content does not match"):
        call_command("verify_audit")


def test_an_empty_trail_verifies():
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "0 events verified" in out.getvalue()


# --- The head is signed, the client index is checked, and an anchor pins the chain ----------


def _raw_index(sql, params=()):
    """Tamper with the index of listed clients behind the app, as _raw does with the events."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditeventclient "
                "DISABLE TRIGGER audit_auditeventclient_append_only"
            )
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditeventclient "
                "ENABLE TRIGGER audit_auditeventclient_append_only"
            )


def _truncate_to(last_kept):
    """Cut every row after ``last_kept`` and point the head at it, as a tamperer would."""
    _raw("DELETE FROM audit_auditevent WHERE seq > %s", [last_kept.seq])
    _raw(
        "UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
        [last_kept.seq, last_kept.hash],
    )


def _print_head():
    out = StringIO()
    call_command("verify_audit", "--print-head", stdout=out)
    return out.getvalue().strip()


def test_cutting_the_newest_rows_and_rewriting_the_head_without_the_key_is_reported():
    # Given three events, then someone without the key deletes the last two and moves the head
    events = _three_events()
    _truncate_to(events[0])

    # When the chain is verified, then the head's signature gives the rewrite away
    with pytest.raises(CommandError, match="the head's signature does not match"):
        call_command("verify_audit")


def test_a_head_rewritten_with_the_key_passes_alone_but_not_against_a_stored_anchor():
    # Given an anchor the operator stored after three events
    events = _three_events()
    anchor = _print_head()

    # When someone holding the HMAC key cuts the last two rows and re-signs the head
    _truncate_to(events[0])
    from tandem.audit.chain import head_signature

    _raw(
        "UPDATE audit_auditchainhead SET signature = %s WHERE id = 1",
        [head_signature(events[0].seq, events[0].hash)],
    )

    # Then the chain alone still verifies (the key is what the signature rests on)
    call_command("verify_audit", stdout=StringIO())
    # But checked against the stored anchor, the truncation is reported
    with pytest.raises(
        CommandError,
        match=rf"anchor #{events[2].seq} is past the end of the chain \(it ends at #{events[0].seq}\)",
    ):
        call_command("verify_audit", "--expect-head", anchor, stdout=StringIO())


def test_the_anchor_is_one_line_naming_the_count_the_last_hash_and_the_time():
    events = _three_events()
    with time_machine.travel("2026-12-03 07:40:00+00:00", tick=False):
        line = _print_head()
    assert (
        line
        == f"tandem-audit-head seq={events[2].seq} hash={events[2].hash} at=2026-12-03T07:40:00Z"
    )


def test_a_stored_anchor_still_holds_after_more_events_are_recorded(capsys):
    _three_events()
    anchor = _print_head()
    record(actor=None, action=AuditAction.LOGIN_FAILED, object_id="later")
    call_command("verify_audit", "--expect-head", anchor)
    out = capsys.readouterr().out
    assert "Audit chain intact: 4 events verified." in out
    assert "contains the anchored head #3" in out


def test_an_anchor_whose_row_was_rewritten_is_reported():
    # Given an anchor, then the whole chain rebuilt with the key from a different first row
    events = _three_events()
    anchor = _print_head()
    forged = anchor.replace(f"hash={events[2].hash}", "hash=" + "e" * 64)
    with pytest.raises(CommandError, match=rf"row #{events[2].seq} does not match the anchor"):
        call_command("verify_audit", "--expect-head", forged, stdout=StringIO())


def test_a_malformed_anchor_is_refused_with_the_expected_shape():
    _three_events()
    with pytest.raises(
        CommandError, match="--expect-head: expected 'tandem-audit-head seq=N hash=H"
    ):
        call_command("verify_audit", "--expect-head", "seq=three", stdout=StringIO())


def _list_read(clients):
    return record(
        actor=None,
        action=AuditAction.VIEW,
        object_type="clients.client",
        detail={"list": "caseload", "clients": clients},
    )


def test_deleting_a_row_of_the_client_index_is_reported():
    # Given a caseload view that named two clients
    event = _list_read(["c-1", "c-2"])
    record(actor=None, action=AuditAction.LOGIN_FAILED)

    # When one client's index row is deleted, hiding the view from that client's page
    _raw_index(
        "DELETE FROM audit_auditeventclient WHERE event_id = %s AND client_id = %s",
        [event.pk, "c-2"],
    )

    # Then verification names the event and the client missing from the index
    with pytest.raises(
        CommandError, match=rf"#{event.seq}: the client index lacks c-2 \(a row was deleted\)"
    ):
        call_command("verify_audit", stdout=StringIO())


def test_adding_a_row_to_the_client_index_is_reported():
    event = _list_read(["c-1"])
    _raw_index(
        "INSERT INTO audit_auditeventclient (event_id, client_id) VALUES (%s, %s)",
        [event.pk, "c-9"],
    )
    with pytest.raises(
        CommandError, match=rf"#{event.seq}: the client index lists c-9, which the event does not"
    ):
        call_command("verify_audit", stdout=StringIO())


def test_an_index_row_pointing_at_no_event_is_reported():
    _list_read(["c-1"])
    _raw_index(
        "INSERT INTO audit_auditeventclient (event_id, client_id) VALUES (%s, %s)",
        [999999, "c-1"],
    )
    with pytest.raises(CommandError, match="the client index has 1 row for no event"):
        call_command("verify_audit", stdout=StringIO())


def test_an_intact_client_index_verifies(capsys):
    _list_read(["c-1", "c-2", "c-1"])
    _list_read([])
    call_command("verify_audit")
    assert "2 events verified" in capsys.readouterr().out


def test_no_anchor_is_printed_for_a_broken_chain():
    events = _three_events()
    _raw("UPDATE audit_auditevent SET object_id = %s WHERE seq = %s", ["tampered", events[1].seq])
    out = StringIO()
    with pytest.raises(CommandError, match=rf"#{events[1].seq}: content does not match"):
        call_command("verify_audit", "--print-head", stdout=out)
    assert out.getvalue() == ""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_events_appended_while_verify_runs_are_not_reported_as_tampering(capsys, monkeypatch):
    """verify_audit on the live bench network reported "chain ends at #1910 but the head
    records #1765": it read the heads first and each chain's rows later, so the app's
    appends in between looked like rows forged past the head. It must check one snapshot."""
    import threading

    from django.db import connections

    from tandem.audit.management.commands import verify_audit

    _three_events()
    checked = verify_audit._chain_break
    appended = []

    def append_meanwhile(head, problems):
        # The app appends (and commits) on its own connection while verify is running.
        def app() -> None:
            try:
                appended.append(record(actor=None, action=AuditAction.LOGIN_FAILED))
            finally:
                connections.close_all()

        if not appended:
            thread = threading.Thread(target=app)
            thread.start()
            thread.join()
        return checked(head, problems)

    monkeypatch.setattr(verify_audit, "_chain_break", append_meanwhile)

    call_command("verify_audit")

    assert appended
    assert "3 events verified" in capsys.readouterr().out
    # And the next run checks the appended event too
    monkeypatch.setattr(verify_audit, "_chain_break", checked)
    call_command("verify_audit")
    assert "4 events verified" in capsys.readouterr().out
