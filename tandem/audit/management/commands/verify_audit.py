import datetime as dt
from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tandem.audit.chain import (
    ANCHOR_PREFIX,
    GENESIS,
    HASHED_FIELDS,
    Break,
    anchor_line,
    first_break,
    head_signature_holds,
    index_break,
    parse_anchor,
)
from tandem.audit.models import AuditChainHead, AuditEvent, AuditEventClient

CHUNK = 2000


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chain, its signed head and its client index; report the "
        "first broken link and exit non-zero. --print-head prints an anchor line to store "
        "elsewhere; --expect-head checks the chain still contains a stored anchor."
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
        head = AuditChainHead.objects.filter(pk=1).first()
        head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
        rows = (
            AuditEvent.objects.order_by("seq")
            .values("id", *HASHED_FIELDS, "prev_hash", "hash")
            .iterator(chunk_size=CHUNK)
        )
        index_problems: list[Break] = []
        broken = first_break(_checking_index(rows, index_problems), head_seq, head_hash)
        if (
            broken is None
            and head is not None
            and not head_signature_holds(head_seq, head_hash, head.signature)
        ):
            broken = Break(
                head_seq,
                "the head's signature does not match its count and last hash "
                "(the head was rewritten; without the key, after cutting the newest rows)",
            )
        broken = broken or next(iter(index_problems), None) or _orphaned_index()
        if broken is not None:
            raise CommandError(str(broken))
        if expected is not None:
            _check_anchor(*expected, chain_end=head_seq)
        if options["print_head"]:
            at = timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.stdout.write(anchor_line(head_seq, head_hash, at))
            return
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {head_seq} events verified."))
        if expected is not None:
            self.stdout.write(self.style.SUCCESS(f"It contains the anchored head #{expected[0]}."))


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
    orphans = AuditEventClient.objects.exclude(event_id__in=AuditEvent.objects.values("pk")).count()
    if not orphans:
        return None
    rows = "row" if orphans == 1 else "rows"
    return Break(0, f"the client index has {orphans} {rows} for no event (rows were inserted)")


def _check_anchor(seq: int, digest: str, *, chain_end: int) -> None:
    """Fail unless the (already verified) chain holds row ``seq`` with hash ``digest``."""
    if seq == 0:
        return
    found = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()
    if found is None:
        raise CommandError(
            f"anchor #{seq} is past the end of the chain (it ends at #{chain_end}): "
            "the newest rows were cut and the head moved back"
        )
    if found != digest:
        raise CommandError(
            f"row #{seq} does not match the anchor (the chain was rewritten by someone holding the key)"
        )
