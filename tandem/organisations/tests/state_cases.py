"""An invitation in any state, for the status-table test (``core/tests/test_status_assignments.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tandem.core.roles import Role
from tandem.core.tests.factories import OrganisationFactory
from tandem.organisations.models import Invitation


def invitation_in(source: str, target: str) -> tuple[Invitation, dict[str, Any]]:
    invitation = Invitation.objects.create(
        organisation=OrganisationFactory(),
        email="new.colleague@example.test",
        role=Role.COORDINATOR,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    Invitation.objects.filter(pk=invitation.pk).update(status=source)
    invitation.refresh_from_db()
    return invitation, {}


SUBJECTS = {"states": invitation_in}
