"""Writing to the audit trail. Call record() inside the transaction of the change it describes."""

from typing import Any

from django.db import connection, models, transaction
from django.db.models.sql import InsertQuery
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


def _values(
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
) -> tuple[str, dict[str, Any]]:
    """Return the chain an event joins and its values (all but its place in the chain)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or _ref(obj)
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor_id = None
    return _chain_name(actor, organisation), {
        "occurred_at": timezone.now(),
        "actor_id": actor_id,
        "actor_role": actor_role or _held_role(actor, organisation),
        "action": str(action),
        "object_type": object_type,
        "object_id": object_id,
        "organisation_id": _ref(organisation),
        "client_id": _ref(client),
        "request_id": current_request_id() if current_request_id() != "-" else "",
        "ip": current_client_ip(),
        "detail": detail or {},
    }


def _append(chain: str, rows: list[dict[str, Any]]) -> list[AuditEvent]:
    """Link ``rows`` into ``chain`` in order under one lock of its head: a fixed few statements."""
    head_id, last_seq, last_hash = _lock_head(chain)
    events = []
    for values in rows:
        last_seq += 1
        linked = {**values, "seq": last_seq}
        digest = row_hash(last_hash, linked)
        events.append(AuditEvent(chain=head_id, prev_hash=last_hash, hash=digest, **linked))
        last_hash = digest
    signature = head_signature(last_seq, last_hash, chain)
    if connection.vendor == "postgresql":
        _insert_moving_head(events, head_id, last_seq, last_hash, signature)
        return events
    if len(events) == 1:
        events[0].save()
    else:
        AuditEvent.objects.bulk_create(events)
    AuditChainHead.objects.filter(pk=head_id).update(
        last_seq=last_seq, last_hash=last_hash, signature=signature
    )
    _index_clients(events)
    return events


def _listed(events: list[AuditEvent]) -> list[tuple[AuditEvent, str]]:
    """Return the (event, client id) rows of the client index for ``events``, in order.

    One row per distinct client a list read named (``detail["clients"]``), as
    ``chain.listed_clients`` reads them back.
    """
    return [
        (event, client_id)
        for event in events
        if isinstance(listed := event.detail.get("clients"), list)
        for client_id in dict.fromkeys(str(c) for c in listed)
    ]


#: The client index rows of the events a ``_insert_moving_head`` statement inserts: a WITH
#: clause after ``linked`` (the events' INSERT ... RETURNING id, seq), given two arrays of
#: the same length, the event's seq and the client id, in the order ``_listed`` returns.
_INDEX_LISTED = (
    f", listed AS (INSERT INTO {AuditEventClient._meta.db_table} "  # noqa: S608 (model names)
    f"({AuditEventClient._meta.get_field('event').column}, "
    f"{AuditEventClient._meta.get_field('client_id').column}) "
    "SELECT linked.id, pair.client_id "
    "FROM unnest(%s::bigint[], %s::text[]) WITH ORDINALITY AS pair(seq, client_id, n) "
    "JOIN linked ON linked.seq = pair.seq ORDER BY pair.n)"
)


def _insert_moving_head(
    events: list[AuditEvent], head_id: int, last_seq: int, last_hash: str, signature: str
) -> None:
    """PostgreSQL: insert ``events``, index the clients they list and move their chain's head,
    in one statement.

    The INSERT is the one ``save()`` (``bulk_create()`` for several) sends, compiled by
    Django, inside a WITH whose UPDATE moves the (locked) head; a second WITH clause
    inserts the client index rows (``_listed``) from two arrays, (seq, client id),
    joined to the events just inserted by seq: one round trip to the database instead of
    three, no model instance per index row, and one statement is all or nothing as the
    three in the transaction were. SQLite, which has no INSERT inside WITH, takes the
    statements one by one.
    """
    meta = AuditEvent._meta
    query = InsertQuery(AuditEvent)
    query.insert_values(
        [f for f in meta.local_concrete_fields if f is not meta.pk], list[models.Model](events)
    )
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [meta.pk, meta.get_field("seq")]
    ((insert, params),) = compiler.as_sql()
    qn = connection.ops.quote_name
    listed = _listed(events)
    index, index_params = "", list[list[Any]]()
    if listed:
        index = _INDEX_LISTED
        index_params = [[e.seq for e, _ in listed], [c for _, c in listed]]
    # Django's compiled INSERT and the model's own names: no value is formatted in.
    sql = (
        f"WITH linked AS ({insert}){index} "  # noqa: S608
        f"UPDATE {qn(AuditChainHead._meta.db_table)} "
        f"SET {qn('last_seq')} = %s, {qn('last_hash')} = %s, {qn('signature')} = %s "
        f"WHERE {qn('id')} = %s "
        f"RETURNING (SELECT array_agg({qn('id')} ORDER BY {qn('seq')}) FROM linked)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *index_params, last_seq, last_hash, signature, head_id])
        moved = cursor.fetchone()
    if moved is None:  # the head is locked by this transaction: it cannot have gone
        raise RuntimeError("The audit chain's head was not found.")
    for event, pk in zip(events, moved[0], strict=True):  # both in seq order
        event.pk = pk
        event._state.adding = False
        event._state.db = connection.alias


def _index_clients(events: list[AuditEvent]) -> None:
    """SQLite: index the clients each list read named (``_listed``), in one insert."""
    rows = [AuditEventClient(event=event, client_id=c) for event, c in _listed(events)]
    if rows:
        AuditEventClient.objects.bulk_create(rows)


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
    chain, values = _values(
        actor=actor,
        action=action,
        obj=obj,
        actor_role=actor_role,
        object_type=object_type,
        object_id=object_id,
        organisation=organisation,
        client=client,
        detail=detail,
    )
    with transaction.atomic():
        (event,) = _append(chain, [values])
    return event


def record_many(entries: list[dict[str, Any]]) -> list[AuditEvent]:
    """Append one event per entry (``record``'s arguments), in a fixed number of statements.

    For a list read that names several objects one by one (an API search page): the
    events are linked into their chains in order, one head lock and one insert per chain
    (chains taken in name order, so two batches never wait on each other in a cycle).
    """
    if not entries:
        return []
    by_chain: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        chain, values = _values(**entry)
        by_chain.setdefault(chain, []).append(values)
    events: list[AuditEvent] = []
    with transaction.atomic():
        for chain in sorted(by_chain):
            events += _append(chain, by_chain[chain])
    return events
