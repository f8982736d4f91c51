"""The audit trail is append-only and tamper-evident."""

from io import StringIO

import pytest
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
