"""Drill: back up → restore into a fresh database → row counts and the audit trail match.

Runs ``scripts/backup-drill`` (pg_dump, pg_restore, ``backup_check``, ``verify_audit``)
on this test's PostgreSQL database, holding a sent referral and its audit rows.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tandem.audit.models import AuditEvent
from tandem.core.management.commands.backup_check import differences
from tandem.referrals.tests.factories import ReferralWorld
from tandem.tests.support.services import ROOT, service_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _drill(*args: str, backups: str) -> subprocess.CompletedProcess[str]:
    env = service_env(TANDEM_PYTHON=sys.executable, TANDEM_BACKUP_DIR=backups)
    return subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [str(ROOT / "scripts" / "backup-drill"), env["DATABASE_URL"], *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_a_backup_restores_into_a_fresh_database_with_every_row_and_a_valid_audit_trail(tmp_path):
    ReferralWorld().sent()
    audit_rows = AuditEvent.objects.count()
    assert audit_rows > 0

    result = _drill(backups=str(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Restored database matches:" in result.stdout
    assert "Restored audit trail verifies and ends at the source's anchor: " in result.stdout
    assert f"seq={audit_rows} " in result.stdout
    assert "==> Backup drill passed" in result.stdout
    assert list(tmp_path.glob("*.dump"))


def test_a_restore_missing_rows_is_named_table_by_table():
    source = {"audit_auditevent": 120, "referrals_referral": 4}

    assert differences(source, {"audit_auditevent": 119}, live=False) == [
        "audit_auditevent: 119 rows restored, 120 in the source",
        "referrals_referral: missing from the restored database",
    ]
    # A live source kept writing: fewer rows restored is expected, more is not.
    assert differences(source, {"audit_auditevent": 119, "referrals_referral": 4}, live=True) == []
    assert differences(source, {"audit_auditevent": 121, "referrals_referral": 4}, live=True) == [
        "audit_auditevent: 121 rows restored, 120 in the source"
    ]
