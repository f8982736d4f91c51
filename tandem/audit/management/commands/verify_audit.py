import datetime as dt
from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from tandem.audit.chain import (
    ANCHOR_PREFIX,
    HASHED_FIELDS,
    Anchor,
    Break,
    anchor_line,
    first_break,
    genesis,
    head_signature_holds,
    heads_digest,
    index_break,
    parse_anchor,
)
from tandem.audit.models import AuditChainHead, AuditEvent, AuditEventClient

CHUNK = 2000


class Command(BaseCommand):
    help = (
        "Check every chain of the audit trail (one per practice, plus the legacy chain), their "
        "signed heads and the client index; report the first broken link and exit non-zero. "
        "--print-head prints one anchor line over every head to store elsewhere; "
        "--expect-head checks the chains still contain a stored anchor."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--print-head",
            action="store_true",
            help="After verifying, print only the anchor line (count, last hash, time) to store "
            "outside the database.",
        )
        parser.add_argument(
            "--expect-head",
            metavar="LINE",
            help="An anchor line printed earlier by --print-head: fail if the chain no longer "
            "contains that row with that hash (cut below it, or rewritten).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        expected = None
        if options["expect_head"] is not None:
            expected = parse_anchor(options["expect_head"])
            if expected is None:
                raise CommandError(
                    f"--expect-head: expected '{ANCHOR_PREFIX} seq=N hash=H at=T' "
                    "as printed by --print-head."
                )
        # One snapshot for the heads and every row: the app goes on appending while this
        # runs, and a row committed after the heads were read is not tampering.
        snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic():
            if snapshot:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self._verify(expected, options)

    def _verify(self, expected: Anchor | None, options: dict[str, Any]) -> None:
        heads = list(AuditChainHead.objects.order_by("id"))
        index_problems: list[Break] = []
        broken = None
        for head in heads:
            broken = _chain_break(head, index_problems)
            if broken is not None:
                break
        broken = (
            broken
            or _headless_rows([head.pk for head in heads])
            or next(iter(index_problems), None)
            or _orphaned_index()
        )
        if broken is not None:
            raise CommandError(str(broken))
        if expected is not None:
            _check_anchor(expected, heads)
        total = sum(head.last_seq for head in heads)
        if options["print_head"]:
            at = timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            positions = [(h.name, h.last_seq, h.last_hash) for h in heads if h.last_seq or h.name]
            self.stdout.write(anchor_line(positions, at))
            return
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {total} events verified."))
        if len(heads) > 1:
            self.stdout.write(f"In {len(heads)} chains (one per practice, and the legacy chain).")
        if expected is not None:
            self.stdout.write(
                self.style.SUCCESS(f"It contains the anchored head #{expected.total}.")
            )


def _chain_break(head: AuditChainHead, index_problems: list[Break]) -> Break | None:
    """Verify one chain from its genesis to its signed head (and its rows' client index)."""
    rows = (
        AuditEvent.objects.filter(chain=head.pk)
        .order_by("seq")
        .values("id", *HASHED_FIELDS, "prev_hash", "hash")
        .iterator(chunk_size=CHUNK)
    )
    problems: list[Break] = []
    broken = first_break(
        _checking_index(rows, problems), head.last_seq, head.last_hash, start=genesis(head.name)
    )
    if broken is None and not head_signature_holds(
        head.last_seq, head.last_hash, head.signature, head.name
    ):
        broken = Break(
            head.last_seq,
            "the head's signature does not match its count and last hash "
            "(the head was rewritten; without the key, after cutting the newest rows)",
        )
    if broken is not None:
        return Break(broken.seq, broken.problem, head.name)
    index_problems.extend(Break(p.seq, p.problem, head.name) for p in problems[:1])
    return None


def _headless_rows(chains: list[int]) -> Break | None:
    """Report rows of a chain whose head is gone (its head row was deleted)."""
    chain = AuditEvent.objects.exclude(chain__in=chains).values_list("chain", flat=True).first()
    if chain is None:
        return None
    return Break(0, f"rows of chain {chain} have no head (the chain's head was deleted)")


def _checking_index(
    rows: Iterator[dict[str, Any]], problems: list[Break]
) -> Iterator[dict[str, Any]]:
    """Yield ``rows`` unchanged, checking each chunk's client index on the way (first problem kept)."""
    while chunk := list(islice(rows, CHUNK)):
        if not problems:
            index = AuditEventClient.objects.filter(
                event_id__in=[row["id"] for row in chunk]
            ).values_list("event_id", "client_id")
            problem = index_break(chunk, index)
            if problem is not None:
                problems.append(problem)
        yield from chunk


def _orphaned_index() -> Break | None:
    """Report index rows whose event is gone (the chain itself reports the missing event)."""
    # NOT EXISTS, not NOT IN: PostgreSQL plans NOT EXISTS as a hash anti-join (one pass
    # over each table), while NOT IN (subquery) rescans the events for every index row
    # once their ids outgrow work_mem (it never finished on the full bench network).
    orphans = (
        AuditEventClient.objects.alias(
            has_event=Exists(AuditEvent.objects.filter(pk=OuterRef("event_id")))
        )
        .filter(has_event=False)
        .count()
    )
    if not orphans:
        return None
    rows = "row" if orphans == 1 else "rows"
    return Break(0, f"the client index has {orphans} {rows} for no event (rows were inserted)")


def _check_anchor(anchor: Anchor, heads: list[AuditChainHead]) -> None:
    """Fail unless the (already verified) chains hold every anchored head, unchanged."""
    by_name = {head.name: head for head in heads}
    found: list[tuple[str, int, str]] = []
    for name, seq in sorted(anchor.chains.items()):
        head = by_name.get(name)
        label = f" of chain {name}" if name else ""
        if head is None:
            raise CommandError(f"chain {name} of the anchor is gone (its rows and head deleted)")
        if seq == 0:
            found.append((name, 0, genesis(name)))
            continue
        digest = (
            AuditEvent.objects.filter(chain=head.pk, seq=seq).values_list("hash", flat=True).first()
        )
        if digest is None:
            raise CommandError(
                f"anchor #{seq}{label} is past the end of the chain (it ends at "
                f"#{head.last_seq}): the newest rows were cut and the head moved back"
            )
        found.append((name, seq, digest))
    single = list(anchor.chains) == [""]
    holds = found[0][2] == anchor.digest if single else heads_digest(found) == anchor.digest
    if not holds:
        where = f"row #{found[0][1]}" if single else "the anchored heads"
        raise CommandError(
            f"{where} does not match the anchor "
            "(the chain was rewritten by someone holding the key)"
        )
