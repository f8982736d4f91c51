"""The chain as it stood before chains per practice becomes the legacy chain, still verified."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tandem.audit.chain import GENESIS, head_signature, row_hash

BEFORE = [("audit", "0005_sign_the_chain_head")]
AFTER = [("audit", "0006_chains_per_practice")]


@pytest.mark.django_db(transaction=True)
def test_the_existing_chain_becomes_the_legacy_chain_and_still_verifies_and_grows():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Event, Head = old.get_model("audit", "AuditEvent"), old.get_model("audit", "AuditChainHead")
    # Given a trail of three rows written as record() wrote them before the split
    prev = GENESIS
    for seq in (1, 2, 3):
        values: dict[str, object] = {
            "seq": seq, "occurred_at": timezone.now(), "actor_id": None, "actor_role": "",
            "action": "update", "object_type": "", "object_id": f"o{seq}",
            "organisation_id": "practice-a", "client_id": "", "request_id": "", "ip": None,
            "detail": {},
        }  # fmt: skip
        digest = row_hash(prev, values)
        Event.objects.bulk_create([Event(prev_hash=prev, hash=digest, **values)])
        prev = digest
    # (update_or_create: an earlier transactional test may have flushed the head row the
    # migrations made)
    Head.objects.update_or_create(
        pk=1, defaults={"last_seq": 3, "last_hash": prev, "signature": head_signature(3, prev)}
    )
    anchor = f"tandem-audit-head seq=3 hash={prev} at=2026-12-01T00:00:00Z"

    # When the upgrade runs
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    call_command("migrate", verbosity=0)

    # Then the old rows are the legacy chain, verified as before and against an old anchor,
    # and the practice's new rows start a chain of their own
    from tandem.audit.actions import record
    from tandem.audit.models import LEGACY_CHAIN, AuditAction, AuditEvent

    assert set(AuditEvent.objects.values_list("chain", flat=True)) == {LEGACY_CHAIN}
    out = StringIO()
    call_command("verify_audit", "--expect-head", anchor, stdout=out)
    assert "3 events verified" in out.getvalue()
    new = record(actor=None, action=AuditAction.UPDATE, organisation="practice-a")
    assert (new.chain != LEGACY_CHAIN, new.seq) == (True, 1)
    call_command("verify_audit", "--expect-head", anchor, stdout=out)
    assert "4 events verified" in out.getvalue()
