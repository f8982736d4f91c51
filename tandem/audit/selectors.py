"""Reads of the audit trail, already scoped to the reader."""

from datetime import date
from typing import Any

from django.db import models

from tandem.audit.models import AuditAction, AuditEvent
from tandem.clients.models import Client
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


#: What a client is shown of the accesses to their record: reads and changes.
CLIENT_VISIBLE_ACTIONS = (AuditAction.VIEW, AuditAction.UPDATE)


def accesses_to_client(actor: Any, client: Client) -> models.QuerySet[AuditEvent]:
    """Return who read or changed ``client``'s record, newest first, as ``actor`` may see it.

    Meant for the client themself: their own visits to their record are left
    out, and the policy shows them nothing about anyone else's record.
    """
    return (
        policy.scope(actor, Action.VIEW, AuditEvent.objects.all())
        .filter(client_id=str(client.public_id), action__in=CLIENT_VISIBLE_ACTIONS)
        .exclude(actor_id=actor.pk)
        .order_by("-seq")
    )
