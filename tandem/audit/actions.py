"""Writing to the audit trail. Call record() inside the transaction of the change it describes."""

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from tandem.audit.chain import head_signature, row_hash
from tandem.audit.models import AuditAction, AuditChainHead, AuditEvent, AuditEventClient
from tandem.core import policy
from tandem.core.middleware import current_client_ip, current_request_id
from tandem.core.roles import Role


def _ref(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(getattr(value, "public_id", value.pk))
    return str(value)


def _held_role(actor: Any, organisation: Any) -> str:
    """Return the role the actor acts in: theirs in ``organisation``, else the first they hold."""
    if not policy.is_signed_in(actor):
        return ""
    memberships = policy.active_memberships(actor)
    if isinstance(organisation, models.Model):
        here = [m.role for m in memberships if m.organisation_id == organisation.pk]
        if here:
            return str(min(here, key=list(Role).index))
    held = policy.roles(actor)
    return next((str(role) for role in Role if role in held), "")


def record(
    *,
    actor: Any,
    action: AuditAction | str,
    obj: models.Model | None = None,
    actor_role: str = "",
    object_type: str = "",
    object_id: str = "",
    organisation: Any = None,
    client: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain and return it.

    ``detail`` must hold references only (field names, public ids, counts),
    never clinical values: the audit trail is kept longer than any record.
    ``actor_role`` defaults to the role the actor holds (in ``organisation``
    when given); pass it when the action knows better, as a care-team read does.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or _ref(obj)
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor_id = None
    actor_role = actor_role or _held_role(actor, organisation)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        values: dict[str, Any] = {
            "seq": head.last_seq + 1,
            "occurred_at": timezone.now(),
            "actor_id": actor_id,
            "actor_role": actor_role,
            "action": str(action),
            "object_type": object_type,
            "object_id": object_id,
            "organisation_id": _ref(organisation),
            "client_id": _ref(client),
            "request_id": current_request_id() if current_request_id() != "-" else "",
            "ip": current_client_ip(),
            "detail": detail or {},
        }
        digest = row_hash(head.last_hash, values)
        event = AuditEvent.objects.create(prev_hash=head.last_hash, hash=digest, **values)
        AuditChainHead.objects.filter(pk=1).update(
            last_seq=event.seq,
            last_hash=digest,
            signature=head_signature(event.seq, digest),
        )
        listed = (detail or {}).get("clients")
        if isinstance(listed, list) and listed:
            AuditEventClient.objects.bulk_create(
                AuditEventClient(event=event, client_id=str(c)) for c in dict.fromkeys(listed)
            )
    return event
