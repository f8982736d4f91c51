"""The audit trail: append-only and hash-chained.

Rows hold references (public ids, roles, action names), never PHI values.
"""

from typing import Any, ClassVar, NoReturn

from django.db import models


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    EXPORT = "export", "Exported"
    DISCLOSE = "disclose", "Disclosed to another organisation"
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOGOUT = "logout", "Signed out"
    MFA_ADDED = "mfa_added", "Added a second factor"
    MFA_REMOVED = "mfa_removed", "Removed a second factor"
    PASSWORD_CHANGED = "password_changed", "Changed password"
    PASSWORD_RESET = "password_reset", "Reset password"
    PERMISSION_GRANTED = "permission_granted", "Granted a role"
    PERMISSION_REVOKED = "permission_revoked", "Revoked a role"
    SIGNUP = "signup", "Signed up"


class AppendOnlyQuerySet[M: models.Model](models.QuerySet[M]):
    """Rows of the audit trail: added, never changed or removed in bulk."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("The audit trail is append-only.")

    def delete(self) -> NoReturn:
        raise PermissionError("The audit trail is append-only.")


class AppendOnlyModel(models.Model):
    """A row of the audit trail: added once, never changed or removed one by one either."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Only audit.actions.record() creates rows; nothing may change one afterwards.
        if not self._state.adding:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("The audit trail is append-only.")


#: The chain every row belonged to before chains were split per practice, and the one rows
#: with no practice still join (failed sign-ins, the public pages, clients' own reads).
LEGACY_CHAIN = 1


class AuditEvent(AppendOnlyModel):
    chain = models.BigIntegerField(
        default=LEGACY_CHAIN, help_text="The chain (AuditChainHead id) this row is linked into."
    )
    seq = models.BigIntegerField(help_text="Position in its chain, from 1.")
    occurred_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_role = models.CharField(max_length=20, blank=True)
    # action, object_id and client_id: indexed in Meta.indexes (a plain index each), not
    # with db_index, which on PostgreSQL adds a second, LIKE-prefix index nothing reads.
    action = models.CharField(max_length=30, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # Indexed by audit_event_org_id_idx (organisation_id first), not on its own.
    organisation_id = models.CharField(max_length=64, blank=True)
    client_id = models.CharField(
        max_length=64, blank=True, help_text="Public id of the client concerned."
    )
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet["AuditEvent"].as_manager()

    class Meta:
        # Newest first across chains (ids are taken in insertion order; within one chain
        # that is also seq order, the chain's head being locked while a row is added).
        ordering: ClassVar = ["-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq_once")
        ]
        indexes: ClassVar = [
            # The admin's search: a practice's events newest first, paged by id (keyset),
            # so a page is one range scan of this index, however long the trail.
            models.Index(fields=["organisation_id", "-id"], name="audit_event_org_id_idx"),
            # The search's filters and a client's "Who has seen your record": equality only.
            # Each index is written by every append (every audited page), so there is no
            # varchar_pattern_ops twin (db_index=True's "_like" index: for LIKE 'x%',
            # which no read asks); audit/tests/test_indexes.py lists the table's indexes.
            models.Index(fields=["action"], name="audit_event_action_idx"),
            models.Index(fields=["object_id"], name="audit_event_object_id_idx"),
            models.Index(fields=["client_id"], name="audit_event_client_id_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}"


class AuditEventClient(AppendOnlyModel):
    """A client named by a list-read event (a caseload page, the inbox, the calendar).

    An index of the event's ``detail["clients"]``, written with the event, so a client's
    "Who has seen your record" finds the lists their name appeared in without searching
    JSON. The event itself (and so this list, inside its hashed detail) is what the chain
    protects; this table is append-only like it.
    """

    # No database constraint: neither table ever loses a row, and a constraint's deferred
    # checks would get in the way of the tamper tests that delete a row behind the app.
    # No index of its own either: the unique (event, client_id) index starts with the event,
    # and a list page adds 50 rows here, so each index fewer is 50 insertions fewer.
    event = models.ForeignKey(
        AuditEvent,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="listed_clients",
    )
    # Indexed in Meta.indexes: a plain index, without db_index's LIKE-prefix twin, which
    # nothing reads and a list page would write 50 times.
    client_id = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet["AuditEventClient"].as_manager()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["event", "client_id"], name="audit_event_client_once")
        ]
        indexes: ClassVar = [models.Index(fields=["client_id"], name="audit_listed_client_idx")]

    def __str__(self) -> str:
        return f"#{self.event_id} lists {self.client_id}"


class AuditChainHead(models.Model):
    """The last link of one chain: serialises that chain's writers, exposes a truncated tail.

    One chain per practice (``name`` is its public id) and the legacy chain (id 1, name
    ""), so appends for different practices never wait on each other's lock. Signed
    with the audit key, so cutting the newest rows and moving the head back to the
    row that is now last needs the key too.
    """

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(
        max_length=64, unique=True, default="", help_text='The practice\'s public id; "" legacy.'
    )
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    signature = models.CharField(
        max_length=64,
        blank=True,
        help_text="HMAC of last_seq and last_hash (audit.chain.head_signature).",
    )

    def __str__(self) -> str:
        return f"audit head {self.name or 'legacy'} at #{self.last_seq}"
