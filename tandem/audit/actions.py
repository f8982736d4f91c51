"""Writing to the audit trail. Call record() inside the transaction of the change it describes."""

from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from tandem.audit.chain import genesis, head_signature, row_hash
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


def _chain_name(actor: Any, organisation: Any) -> str:
    """Return the chain an event joins: its practice's, else the actor's practice's, else legacy.

    Any chain keeps the row tamper-evident; the practice's keeps the lock it waits for
    to that practice's own writers.
    """
    if organisation is not None and organisation != "":
        return _ref(organisation)
    memberships = policy.active_memberships(actor)
    if not memberships:
        return ""
    first = min(memberships, key=lambda m: (list(Role).index(m.role), m.organisation_id))
    return str(first.organisation.public_id)


#: Lock the chain's head (creating it the first time): one statement, as SELECT FOR UPDATE
#: was. A conflicting insert waits for the row's lock and returns the row as committed.
_LOCK_HEAD = """
INSERT INTO audit_auditchainhead (name, last_seq, last_hash, signature)
VALUES (%s, 0, %s, %s)
ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
RETURNING id, last_seq, last_hash
"""


def _lock_head(name: str) -> tuple[int, int, str]:
    start = genesis(name)
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_HEAD, [name, start, head_signature(0, start, name)])
        head_id, last_seq, last_hash = cursor.fetchone()
    return int(head_id), int(last_seq), str(last_hash)


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
    chain = _chain_name(actor, organisation)
    with transaction.atomic():
        head_id, last_seq, last_hash = _lock_head(chain)
        values: dict[str, Any] = {
            "seq": last_seq + 1,
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
        digest = row_hash(last_hash, values)
        event = AuditEvent.objects.create(chain=head_id, prev_hash=last_hash, hash=digest, **values)
        AuditChainHead.objects.filter(pk=head_id).update(
            last_seq=event.seq,
            last_hash=digest,
            signature=head_signature(event.seq, digest, chain),
        )
        listed = (detail or {}).get("clients")
        if isinstance(listed, list) and listed:
            AuditEventClient.objects.bulk_create(
                AuditEventClient(event=event, client_id=str(c)) for c in dict.fromkeys(listed)
            )
    return event
