"""Naming the client a notification or an alert is about, to a reader who may see them."""

from __future__ import annotations

from typing import Any

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.models import Client
from tandem.core import policy
from tandem.core.policy import Action


def names(reader: Any, keys: list[int], *, where: str = "notifications") -> dict[int, str]:
    """Return "First Last" per client of ``keys`` the reader may see, recording the read.

    A client reading about their own record is not named back to themself; a client the
    reader may not see (a practice that has not accepted the referral yet, a team left)
    stays unnamed. The read is one audit event listing the clients named, as list pages do;
    ``where`` names the place they were shown ("notifications", "open-alert banner").
    """
    if not keys:
        return {}
    visible = (
        policy.scope(reader, Action.VIEW, Client.objects.filter(pk__in=keys))
        .exclude(user=reader)
        .only("pk", "public_id", "first_name", "last_name")
    )
    shown = list(visible)
    found = {c.pk: f"{c.first_name} {c.last_name}" for c in shown}
    if shown:
        record(
            actor=reader,
            action=AuditAction.VIEW,
            object_type="clients.client",
            detail={"list": where, "clients": sorted(str(c.public_id) for c in shown)},
        )
    return found
