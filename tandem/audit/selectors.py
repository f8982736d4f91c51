"""Reads of the audit trail, already scoped to the reader."""

from datetime import date
from typing import Any

from django.db import models

from tandem.audit.models import AuditEvent
from tandem.core import policy
from tandem.core.policy import Action


def search_events(
    actor: Any,
    *,
    action: str = "",
    actor_id: int | None = None,
    object_id: str = "",
    client_id: str = "",
    since: date | None = None,
    until: date | None = None,
) -> models.QuerySet[AuditEvent]:
    """Return the audit events the actor may read, filtered, newest first."""
    qs = policy.scope(actor, Action.VIEW, AuditEvent.objects.all())
    if action:
        qs = qs.filter(action=action)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if client_id:
        qs = qs.filter(client_id=client_id)
    if since:
        qs = qs.filter(occurred_at__date__gte=since)
    if until:
        qs = qs.filter(occurred_at__date__lte=until)
    return qs.order_by("-seq")
